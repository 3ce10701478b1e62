/** The web UI's entry: styles, the boot sequence, and the app mounted into #app. */
import { render } from "preact";
import { App } from "./app/app";
import { boot } from "./app/boot";
import "./styles/theme.css";

boot();
render(<App />, document.getElementById("app")!);
