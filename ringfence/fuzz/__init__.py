"""The fuzz campaign, shipped as a tool (``ringfence-fuzz``, ``python -m ringfence.fuzz``):
the protocol's state machine (:mod:`ringfence.fuzz.machine`) run under hypothesis on
titanoboa over revm (:mod:`ringfence.fuzz.revm_evm`) or py-evm, SPEC §4 checked after every
step, for a deploy parameter file a user is about to deploy (docs/fuzzing.md)."""
