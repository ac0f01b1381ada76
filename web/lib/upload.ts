// fetch() cannot report upload progress; XMLHttpRequest's upload.onprogress can, which is the
// whole point of the image import bar.
export type UploadProgress = { loaded: number; total: number };

export function uploadWithProgress(
  url: string,
  body: Blob,
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Content-Type', 'application/x-tar');
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : body.size });
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve({ status: xhr.status, text: xhr.responseText });
      else reject(new Error(uploadError(xhr.status, xhr.responseText)));
    };
    xhr.onerror = () => reject(new Error('upload failed: network error'));
    xhr.onabort = () => reject(new Error('upload cancelled'));
    signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(body);
  });
}

/** The gateway answers errors as JSON `{ error, message }` or plain text; show the message. */
export function uploadError(status: number, text: string): string {
  try {
    const j = JSON.parse(text) as { message?: string; error?: string | { message?: string } };
    const msg = j.message ?? (typeof j.error === 'string' ? j.error : j.error?.message);
    if (msg) return `${msg} (HTTP ${status})`;
  } catch {
    // not JSON
  }
  return text.trim() ? `${text.trim().slice(0, 300)} (HTTP ${status})` : `upload failed (HTTP ${status})`;
}
