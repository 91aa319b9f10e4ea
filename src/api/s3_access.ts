/** A server's S3 access: one signed client and the `s3://` locations it may serve. */
import { S3Client } from "../store/s3/s3_client.ts";
import { parseS3Uri, type S3Config, type S3Location } from "../store/s3/s3_config.ts";

/** The server's S3 access, built once from its settings. */
export class S3Access {
  readonly client: S3Client;
  /** `s3://` locations whose artifacts may be served (bucket + prefix each). */
  readonly roots: S3Location[];

  constructor(config: S3Config, roots: string[]) {
    this.client = new S3Client(config);
    this.roots = roots.map(parseS3Uri);
  }
}
