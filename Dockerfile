# posbot: a static Go binary on a slim Debian with tesseract for screenshots.
#
#   docker build -t posbot .
#   docker compose up --build        (PostgreSQL + pgvector, Redis, posbot)
#
# See DEVELOPERS.md.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/posbot ./cmd/posbot

FROM debian:bookworm-slim
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
