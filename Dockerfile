# syntax=docker/dockerfile:1
# sealant as a container image: a static musl binary on distroless, as a non-root user.
#   docker run --rm -v "$PWD:/src" ghcr.io/sealant-dev/sealant:0.1.0 scan
# The release workflow builds it for linux/amd64 and linux/arm64 and pushes it to ghcr.io.

ARG RUST_VERSION=1.89
FROM docker.io/library/rust:${RUST_VERSION}-alpine AS builder
# A C toolchain for aws-lc-sys (rustls, feature fetch); on Alpine, Rust links musl statically by default. The builder's
# packages do not reach the image, so they follow the Alpine release rather than pinned versions.
# hadolint ignore=DL3018
RUN apk add --no-cache build-base cmake perl
WORKDIR /build
COPY . .
# .git is not sent to the builder (.dockerignore): the commit comes as a build argument.
ARG SEALANT_BUILD_COMMIT=unknown
ENV SEALANT_BUILD_COMMIT=${SEALANT_BUILD_COMMIT}
RUN cargo build --locked --profile dist --features full --bin sealant \
    && cp target/dist/sealant /sealant

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.source="https://github.com/sealant-dev/sealant" \
      org.opencontainers.image.description="Find plaintext Kubernetes Secrets and credentials in GitOps repositories" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /sealant /usr/local/bin/sealant
# distroless nonroot
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["/usr/local/bin/sealant"]
CMD ["scan"]
