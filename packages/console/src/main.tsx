import {
  createDOMRenderer,
  FluentProvider,
  RendererProvider,
  webLightTheme,
} from "@fluentui/react-components";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { loadConfig } from "./config";

/**
 * Fluent's styles are inserted at run time; the server's CSP admits style elements carrying the
 * nonce it wrote into this page, so the renderer puts that nonce on every one it creates.
 */
const nonce =
  document.querySelector<HTMLMetaElement>('meta[name="airlock-style-nonce"]')?.content || undefined;
const renderer = createDOMRenderer(document, nonce ? { styleElementAttributes: { nonce } } : {});

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } },
});

const root = createRoot(document.getElementById("root")!);
const config = await loadConfig();
root.render(
  <StrictMode>
    <RendererProvider renderer={renderer} targetDocument={document}>
      <FluentProvider theme={webLightTheme}>
        <QueryClientProvider client={queryClient}>
          <App config={config} />
        </QueryClientProvider>
      </FluentProvider>
    </RendererProvider>
  </StrictMode>,
);
