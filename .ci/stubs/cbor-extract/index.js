// cbor-x wraps require('cbor-extract') in try/catch and falls back to pure JavaScript when it throws.
// It must throw: an empty module would make cbor-x enable native decoding with no extractor.
throw new Error('cbor-extract is not installed in this project (see .ci/stubs/cbor-extract/package.json)');
