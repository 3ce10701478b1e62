/** Reading a Server-Sent Events response frame by frame, as a browser's EventSource would. */

export interface Frame {
  id?: string;
  event: string;
  data: string;
  comment?: string;
}

/** Reads frames until the server ends the stream (or `until` says stop). */
export async function readFrames(response: Response, until: (frame: Frame) => boolean = () => false): Promise<Frame[]> {
  const frames: Frame[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = response.body!.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame: Frame = { event: "message", data: "" };
      for (const line of buffer.slice(0, end).split("\n")) {
        if (line.startsWith(":")) frame.comment = line.slice(1).trim();
        else if (line.startsWith("id: ")) frame.id = line.slice(4);
        else if (line.startsWith("event: ")) frame.event = line.slice(7);
        else if (line.startsWith("data: ")) frame.data += line.slice(6);
      }
      buffer = buffer.slice(end + 2);
      frames.push(frame);
      if (until(frame)) {
        await reader.cancel();
        return frames;
      }
    }
  }
  return frames;
}
