/**
 * The engine: itself (version, uptime, store, capacity, queues), the
 * machines that run its tasks (workers), its namespaces and their origin,
 * and for admin sessions API tokens, browser sessions and the audit log.
 * Sections a session's scope cannot see say so instead of failing.
 */
import { useState } from "preact/hooks";
import type { PageProps } from "../components/lazy-page";
import { usePageTitle } from "../components/page-title";
import { useLiveEvents } from "../live/use-live-events";
import { Audit } from "./engine/audit";
import { EngineInfo } from "./engine/engine-info";
import { Namespaces } from "./engine/namespaces";
import { Sessions } from "./engine/sessions";
import { Tokens } from "./engine/tokens";
import { Workers } from "./engine/workers";
import "../styles/runs.css";
import "../styles/engine.css";

const SECTIONS = [
  { id: "engine", label: "Engine" },
  { id: "workers", label: "Workers" },
  { id: "namespaces", label: "Namespaces" },
  { id: "tokens", label: "Tokens" },
  { id: "sessions", label: "Sessions" },
  { id: "audit", label: "Audit log" },
];

export default function EnginePage(_props: PageProps) {
  usePageTitle("Engine");
  const [namespacesKey, setNamespacesKey] = useState(0);
  useLiveEvents((batch) => {
    // A new apply changes the namespaces' origins.
    if (batch.resync || batch.pipelines.some((change) => change.action === "apply")) setNamespacesKey((key) => key + 1);
  });
  return (
    <section class="engine-page" aria-labelledby="engine-page-title">
      <div class="page-head">
        <h1 id="engine-page-title">Engine</h1>
        <nav class="engine-nav" aria-label="Sections">
          {SECTIONS.map((section) => (
            <a key={section.id} href={`#${section.id}`}>
              {section.label}
            </a>
          ))}
        </nav>
      </div>
      <EngineInfo />
      <Workers />
      <Namespaces reloadKey={namespacesKey} />
      <Tokens />
      <Sessions />
      <Audit />
    </section>
  );
}
