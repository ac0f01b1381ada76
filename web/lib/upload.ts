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

export type UploadKind = 'load' | 'import';

export function uploadUrl(hostId: string, kind: UploadKind, reference: string): string {
  const base = `/api/hosts/${encodeURIComponent(hostId)}/images/${kind}`;
  if (kind === 'load') return base;
  const ref = reference.trim();
  // The tag follows the last colon unless that colon belongs to a registry host:port.
  const at = ref.lastIndexOf(':');
  const hasTag = at > ref.lastIndexOf('/');
  const q = new URLSearchParams({ repo: hasTag ? ref.slice(0, at) : ref, tag: hasTag ? ref.slice(at + 1) : 'latest' });
  return `${base}?${q}`;
}

/** The engine streams JSON lines ({"stream":"Loaded image: x\n"}, {"status":"sha256:…"},
 *  {"error":…}); an error line means failure even with HTTP 200. */
export function summarizeLoad(text: string): { ok: boolean; text: string } {
  const said: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const j = JSON.parse(line) as {
        stream?: string;
        status?: string;
        error?: string;
        errorDetail?: { message?: string };
      };
      if (j.error || j.errorDetail?.message) return { ok: false, text: j.errorDetail?.message ?? j.error ?? 'failed' };
      const s = (j.stream ?? j.status ?? '').trim();
      if (s) said.push(s);
    } catch {
      said.push(line.trim());
    }
  }
  return { ok: true, text: said.join('; ') || 'Done.' };
}
