/**
 * The two versions mlt reports: its own (deno.json) and the MLflow release whose REST API and
 * stores it speaks. `/version` answers the MLflow one, because MLflow clients gate features on it
 * (the 3.17 client refuses OTLP trace export below 3.4); mlt's own shows in `mlt --version`, the
 * `X-Mlt-Version` response header, the server's start-up line and the UI footer.
 */
import denoJson from "../deno.json" with { type: "json" };

/** mlt's own version, from deno.json. */
export const MLT_VERSION: string = denoJson.version;

/** The MLflow release whose REST API, FileStore layout and SQL schema mlt speaks. */
export const MLFLOW_VERSION = "3.17.2";
