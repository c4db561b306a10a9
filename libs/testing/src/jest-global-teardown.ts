export default async function globalTeardown(): Promise<void> {
  await globalThis.__SLADESK_FERRETDB__?.stop();
}
