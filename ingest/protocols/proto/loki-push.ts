import protobuf from 'protobufjs';

/**
 * The Loki push API's request, as protobufjs reflection JSON, written from Loki's public `push.proto` (package
 * `logproto`) and Google's well-known `Timestamp`. Only what a push carries: `StreamAdapter.hash` is a field Loki's
 * distributors compute for themselves, so it is declared (to be skipped by number) but never read.
 */
export const LOKI_PUSH_SCHEMA: protobuf.INamespace = {
  nested: {
    logproto: {
      nested: {
        PushRequest: {
          fields: { streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 } },
        },
        StreamAdapter: {
          fields: {
            /** The stream's labels in Prometheus text form: `{app="web", env="prod"}`. */
            labels: { type: 'string', id: 1 },
            entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 },
            hash: { type: 'uint64', id: 3 },
          },
        },
        EntryAdapter: {
          fields: {
            timestamp: { type: 'google.protobuf.Timestamp', id: 1 },
            line: { type: 'string', id: 2 },
            structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
          },
        },
        LabelPairAdapter: {
          fields: {
            name: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
      },
    },
    google: {
      nested: {
        protobuf: {
          nested: {
            Timestamp: {
              fields: {
                seconds: { type: 'int64', id: 1 },
                nanos: { type: 'int32', id: 2 },
              },
            },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(LOKI_PUSH_SCHEMA).resolveAll();

export const LokiPush = {
  PushRequest: root.lookupType('logproto.PushRequest'),
  StreamAdapter: root.lookupType('logproto.StreamAdapter'),
  EntryAdapter: root.lookupType('logproto.EntryAdapter'),
  LabelPairAdapter: root.lookupType('logproto.LabelPairAdapter'),
  Timestamp: root.lookupType('google.protobuf.Timestamp'),
};
