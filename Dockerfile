# posbot: a static Go binary on a slim Debian with tesseract for screenshots.
#
#   docker build -t posbot .
#   docker build --build-arg POSBOT_VERSION=$(git describe --always --dirty) -t posbot .
#   docker compose up --build        (PostgreSQL + pgvector, Redis, posbot)
#
# Base images are pinned by digest (tag kept for reading); DEVELOPERS.md says
# where each digest came from and how to refresh it.

FROM golang:1.26@sha256:3aff6657219a4d9c14e27fb1d8976c49c29fddb70ba835014f477e1c70636647 AS build
WORKDIR /src
# Modules first, so a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# .git is not in the build context (.dockerignore), so Go cannot stamp the
# revision: POSBOT_VERSION is what `posbot version` and posbot_build_info say.
ARG POSBOT_VERSION=
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w -X main.version=${POSBOT_VERSION}" -o /out/posbot ./cmd/posbot

FROM debian:bookworm-slim@sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241
# tesseract-ocr-chi-sim reads the Chinese on terminal screenshots;
# ca-certificates lets posbot reach HTTPS model and Telegram APIs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-chi-sim ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin posbot
COPY --from=build /out/posbot /usr/local/bin/posbot
# One OCR at a time per process uses one core: tesseract's OpenMP threads
# only contend with each other on a small container.
ENV OMP_THREAD_LIMIT=1 \
    POSBOT_HTTP_ADDR=0.0.0.0:8080
USER posbot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/posbot"]
CMD ["serve"]
