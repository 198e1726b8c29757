import {
  requestRepositoryContract,
  storedDocumentContract,
  workspaceRegistryContract,
} from "@airlock/core/testing";
import { describe, it } from "vitest";
import { createSqliteRequestRepository, createSqliteWorkspaceRegistry } from "../src/index.js";
import { temporaryDatabases } from "./support.js";

const databases = temporaryDatabases();

requestRepositoryContract({ describe, it }, () => createSqliteRequestRepository(databases.freshDatabase()));
storedDocumentContract({ describe, it }, () => createSqliteRequestRepository(databases.freshDatabase()));
workspaceRegistryContract({ describe, it }, () => createSqliteWorkspaceRegistry(databases.freshDatabase()));
