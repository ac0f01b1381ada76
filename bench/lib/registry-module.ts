/** Placeholder until the image store lands: replaced by the in-process pull/push measurement. */
export async function moduleRun(_rootfs: string): Promise<{ push: number; pull: number }> {
  throw new Error('image store not available yet');
}
