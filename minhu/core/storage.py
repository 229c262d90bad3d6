"""Static files storage for DEBUG=0: whitenoise's hashed + compressed copies, made by
collectstatic. A name missing from the manifest is served under its plain name instead of
failing the page."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False
