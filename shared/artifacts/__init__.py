"""Source maps: sentry-cli's chunked uploads, the artifact bundles assembled from them, and the
symbolication of JavaScript frames through them."""
