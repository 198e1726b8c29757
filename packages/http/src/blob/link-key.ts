/**
 * One link, as limits count it: its request id and its signature (a re-issued link for the same
 * request is another link). A per-holder limit could key on the holder the same way.
 */
export const linkKey = (requestId: string, signature: string): string => `${requestId}\n${signature}`;
