import { render } from "solid-js/web";
import { tauriApi } from "./api";
import { App } from "./app/App";
import { applyTheme, savedTheme } from "./lib/theme";
import "./style.css";

applyTheme(savedTheme());
render(() => <App api={tauriApi} />, document.getElementById("app")!);
