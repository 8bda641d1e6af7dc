# syntax=docker/dockerfile:1
# The search service image.
#   CPU (default):  docker build -t searchservice .
#   NVIDIA CUDA:    docker build --build-arg FLAVOR=cuda --build-arg ORT_CUDA_NUPKG_SHA512=<hash> -t searchservice:cuda .
# .NET 10 ships its Linux images on Ubuntu 24.04 (noble) only (no Debian tags any more); the CUDA variant uses
# NVIDIA's noble image so both flavours get the same libvips42 from the same distribution.
ARG FLAVOR=cpu
ARG DOTNET_TAG=10.0-noble
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

# ---- native: libonnxruntime.so.1 through build.sh (pinned version, checksum-verified npm tarball) ----------
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_TAG} AS native
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm openssl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY build.sh ./
RUN ./build.sh native

# ---- cuda-ep: ONNX Runtime's CUDA execution provider, same version as the core library -------------------
# onnxruntime-node's Linux x64 core library is a CUDA-capable build whose provider libraries are published
# separately in the Microsoft.ML.OnnxRuntime.Gpu.Linux NuGet package (onnxruntime-node's own installer
# fetches them from there); we take the same two files and verify the package's SHA-512, as NuGet records it
# (the catalog's packageHash, base64). Only built for FLAVOR=cuda.
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_TAG} AS cuda-ep
ARG ORT_CUDA_NUPKG_SHA512=
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends unzip openssl ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /ep
COPY build.sh /src/build.sh
RUN set -eu; \
    version=$(sed -n 's/^ORT_VERSION=//p' /src/build.sh); \
    if [ -z "$ORT_CUDA_NUPKG_SHA512" ]; then \
      echo "Set --build-arg ORT_CUDA_NUPKG_SHA512 to the packageHash of Microsoft.ML.OnnxRuntime.Gpu.Linux $version (see deploy/README.md)" >&2; exit 1; \
    fi; \
    package=microsoft.ml.onnxruntime.gpu.linux; \
    curl -fsSL -o ep.nupkg "https://api.nuget.org/v3-flatcontainer/$package/$version/$package.$version.nupkg"; \
    actual=$(openssl dgst -sha512 -binary ep.nupkg | base64 -w0); \
    if [ "$actual" != "$ORT_CUDA_NUPKG_SHA512" ]; then echo "checksum mismatch for $package $version: $actual" >&2; exit 1; fi; \
    unzip -j -q ep.nupkg runtimes/linux-x64/native/libonnxruntime_providers_cuda.so runtimes/linux-x64/native/libonnxruntime_providers_shared.so -d /ep/lib; \
    rm ep.nupkg

# ---- build: restore first (a cached layer until a project file or a package pin changes), then publish ----
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_TAG} AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
# Every project the two entry points reference; add new src/ projects here.
COPY src/SearchService.Core/SearchService.Core.csproj src/SearchService.Core/
COPY src/SearchService.Inference/SearchService.Inference.csproj src/SearchService.Inference/
COPY src/SearchService.Interop.OnnxRuntime/SearchService.Interop.OnnxRuntime.csproj src/SearchService.Interop.OnnxRuntime/
COPY src/SearchService.Interop.Vips/SearchService.Interop.Vips.csproj src/SearchService.Interop.Vips/
COPY src/SearchService.Storage.Sqlite/SearchService.Storage.Sqlite.csproj src/SearchService.Storage.Sqlite/
COPY src/SearchService.Storage.Qdrant/SearchService.Storage.Qdrant.csproj src/SearchService.Storage.Qdrant/
COPY src/SearchService.Api/SearchService.Api.csproj src/SearchService.Api/
COPY src/SearchService.Cli/SearchService.Cli.csproj src/SearchService.Cli/
RUN dotnet restore src/SearchService.Api/SearchService.Api.csproj \
 && dotnet restore src/SearchService.Cli/SearchService.Cli.csproj
COPY src/ src/
# The OnnxRuntime interop project copies .native/onnxruntime/libonnxruntime.so.1 next to the assemblies.
COPY --from=native /src/.native/onnxruntime/ .native/onnxruntime/
RUN dotnet publish src/SearchService.Api/SearchService.Api.csproj -c Release --no-restore -o /out/app -p:UseAppHost=false \
 && dotnet publish src/SearchService.Cli/SearchService.Cli.csproj -c Release --no-restore -o /out/cli \
 && test -f /out/app/libonnxruntime.so.1

# ---- runtime bases --------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_TAG} AS runtime-cpu
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libvips42 curl \
 && rm -rf /var/lib/apt/lists/*
ENV Inference__ExecutionProvider=cpu

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_TAG} AS dotnet-runtime

FROM ${CUDA_IMAGE} AS runtime-cuda
COPY --from=dotnet-runtime /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libvips42 curl ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1654 app && useradd --uid 1654 --gid 1654 --no-create-home --shell /usr/sbin/nologin app
# The providers load from the directory of libonnxruntime.so.1, i.e. /app.
COPY --from=cuda-ep /ep/lib/ /app/
ENV Inference__ExecutionProvider=cuda \
    ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_RUNNING_IN_CONTAINER=true \
    APP_UID=1654

# ---- final ----------------------------------------------------------------------------------------------
FROM runtime-${FLAVOR} AS final
WORKDIR /app
COPY --from=build /out/app/ /app/
COPY --from=build /out/cli/ /app/cli/
# The bundled demo model (synthetic shapes, not a real CLIP) where Model:DemoPath looks by default
# (models/ next to the application): the service runs offline out of the box.
COPY deploy/models/demo-shapes-clip/ /app/models/demo-shapes-clip/
RUN ln -s /app/cli/searchctl /usr/local/bin/searchctl \
 && mkdir -p /data /models \
 && chown 1654:1654 /data /models
# Model:Root holds one folder per model (Immich layout); downloaded models land there too.
ENV Storage__DataPath=/data \
    Model__Root=/models \
    LD_LIBRARY_PATH=/app
USER 1654:1654
VOLUME ["/data", "/models"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/health/ready > /dev/null || exit 1
ENTRYPOINT ["dotnet", "/app/SearchService.Api.dll"]
