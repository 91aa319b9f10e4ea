# mlt as a container image: `mlt server` on 0.0.0.0:5000. See docs/operations.md.
# Not built by mlt's CI (its machines have no Docker engine): kept short so it is easy to check.
#   docker build -t mlt .
#   docker run -p 5000:5000 -v mlt-data:/data mlt
FROM denoland/deno:2.9.6

WORKDIR /app
# Dependencies first, so a code change reuses this layer.
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY main.ts ./
COPY src ./src
COPY ui ./ui
COPY tools ./tools
# The program `deno task install` installs: one bundle with code splitting (docs/startup.md).
RUN deno run -A tools/bundle.ts

# Stores and artifacts given as relative paths (./mlruns, ./mlartifacts) land in /data.
RUN mkdir -p /data && chown deno:deno /data
VOLUME /data
WORKDIR /data
USER deno
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["deno", "eval", "const r = await fetch('http://127.0.0.1:5000/health'); Deno.exit(r.ok ? 0 : 1)"]
ENTRYPOINT ["deno", "run", "-A", "--unstable-net", "--unstable-lazy-dynamic-imports", "--v8-flags=--min-semi-space-size=4", "--no-config", "/app/dist/mlt/main.js"]
CMD ["server", "--host", "0.0.0.0", "--port", "5000"]
