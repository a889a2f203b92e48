# ghfe's image: a release build on Debian, run on distroless as a non-root
# user. The root filesystem can be read-only: ghfe writes nothing to disk.
#   docker build -t ghfe --build-arg GHFE_COMMIT="$(git rev-parse --short=12 HEAD)" .

FROM rust:1-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.71
WORKDIR /src

# The dependency graph alone, so the dependency layer below is cached until
# Cargo.toml or Cargo.lock change.
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --recipe-path recipe.json --bin ghfe
COPY . .
ARG GHFE_COMMIT=unknown
ENV GHFE_COMMIT=${GHFE_COMMIT}
RUN cargo build --release --bin ghfe

FROM gcr.io/distroless/cc-debian12:nonroot
ARG GHFE_COMMIT=unknown
LABEL org.opencontainers.image.title="ghfe" \
      org.opencontainers.image.description="GitHub App webhook front end of a self-hosted runner fleet" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0" \
      org.opencontainers.image.revision="${GHFE_COMMIT}"
COPY --from=builder /src/target/release/ghfe /usr/local/bin/ghfe
# Not development.yaml: its fixed local secrets have no place in an image.
# Choose the deployment with PROD (the predecessor's) or GHFE_ENV.
COPY config/default.yaml config/staging.yaml config/production.yaml /etc/ghfe/config/
ENV GHFE_CONFIG_DIR=/etc/ghfe/config \
    PORT=8080
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ghfe"]
CMD ["serve"]
