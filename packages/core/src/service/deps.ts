import type { AirlockRequest } from "../model/request.js";
import type { Announcements } from "./announcements.js";
import type { ResolvedOptions } from "./options.js";
import type { RequestWriter } from "./request-writer.js";
import type { AirlockPorts } from "./types.js";

/** What every use case works with. */
export interface UseCaseDeps {
  readonly ports: AirlockPorts;
  readonly options: ResolvedOptions;
  readonly writer: RequestWriter;
  readonly announcements: Announcements;
  /** Hands a request with work left over to the processor when processing runs inline; else nothing. */
  readonly scheduleProcessing: (request: AirlockRequest) => void;
}
