"""Reading one pipeline run back from ML Metadata (SQLite): node states and output artifacts."""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional

from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2

STATE_NAMES = {v: k for k, v in metadata_store_pb2.Execution.State.items()}


@dataclasses.dataclass
class ArtifactInfo:
    uri: str
    type_name: str
    properties: Dict[str, object]


@dataclasses.dataclass
class NodeRecord:
    node_id: str
    state: str                      # COMPLETE, CACHED, FAILED, RUNNING ...
    execution_id: int
    outputs: Dict[str, List[ArtifactInfo]]
    inputs: Dict[str, List[ArtifactInfo]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class RunRecord:
    run_id: str
    context_id: int
    nodes: Dict[str, NodeRecord]

    def output(self, node_id: str, key: str) -> Optional[ArtifactInfo]:
        node = self.nodes.get(node_id)
        if not node or not node.outputs.get(key):
            return None
        return node.outputs[key][-1]


def open_store(metadata_path: str) -> metadata_store.MetadataStore:
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = metadata_path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    return metadata_store.MetadataStore(config)


def _value(value: metadata_store_pb2.Value):
    kind = value.WhichOneof("value")
    if kind == "proto_value" or kind == "struct_value":
        return str(getattr(value, kind))
    return getattr(value, kind) if kind else None


def run_ids(metadata_path: str, pipeline_name: str) -> List[str]:
    """Run ids of the pipeline, oldest first."""
    store = open_store(metadata_path)
    runs = [c for c in store.get_contexts_by_type("pipeline_run")
            if c.name and _belongs(store, c, pipeline_name)]
    return [c.name for c in sorted(runs, key=lambda c: (c.create_time_since_epoch, c.id))]


def _belongs(store, run_context, pipeline_name: str) -> bool:
    parents = store.get_parent_contexts_by_context(run_context.id)
    return not parents or any(p.name == pipeline_name for p in parents)


def read_run(metadata_path: str, pipeline_name: str, run_id: Optional[str] = None) -> RunRecord:
    """The given run (default: the latest) with each node's state and output artifacts."""
    ids = run_ids(metadata_path, pipeline_name)
    if not ids:
        raise LookupError(f"{metadata_path}: no runs of pipeline {pipeline_name!r}")
    run_id = run_id or ids[-1]
    store = open_store(metadata_path)
    context = store.get_context_by_type_and_name("pipeline_run", run_id)
    nodes: Dict[str, NodeRecord] = {}
    executions = store.get_executions_by_context(context.id)
    events = store.get_events_by_execution_ids([e.id for e in executions])
    artifact_ids = sorted({ev.artifact_id for ev in events})
    artifacts = {a.id: a for a in store.get_artifacts_by_id(artifact_ids)}
    type_names = {t.id: t.name for t in store.get_artifact_types()}
    for execution in sorted(executions, key=lambda e: e.id):
        node_contexts = [c for c in store.get_contexts_by_execution(execution.id)
                         if c.type == "node"]
        node_id = node_contexts[0].name.split(".", 1)[-1] if node_contexts else str(execution.id)
        outputs: Dict[str, List[ArtifactInfo]] = {}
        inputs: Dict[str, List[ArtifactInfo]] = {}
        for ev in events:
            if ev.execution_id != execution.id:
                continue
            if ev.type in (metadata_store_pb2.Event.OUTPUT, metadata_store_pb2.Event.DECLARED_OUTPUT):
                side = outputs
            elif ev.type in (metadata_store_pb2.Event.INPUT, metadata_store_pb2.Event.DECLARED_INPUT):
                side = inputs
            else:
                continue
            key = ev.path.steps[0].key if ev.path.steps else "artifact"
            art = artifacts[ev.artifact_id]
            props = {k: _value(v) for k, v in art.custom_properties.items()}
            props.update({k: _value(v) for k, v in art.properties.items()})
            side.setdefault(key, []).append(ArtifactInfo(art.uri, type_names.get(art.type_id, ""),
                                                         props))
        nodes[node_id] = NodeRecord(node_id, STATE_NAMES.get(execution.last_known_state, "?"),
                                    execution.id, outputs, inputs)
    return RunRecord(run_id, context.id, nodes)


UNFINISHED_STATES = (metadata_store_pb2.Execution.NEW, metadata_store_pb2.Execution.RUNNING)
ORPHAN_NOTE_KEY = "cancelled_as_orphan"


def cancel_orphans(metadata_path: str, pipeline_name: str, note: str) -> List[str]:
    """Mark the executions of ``pipeline_name`` still NEW or RUNNING as CANCELED and their
    pending outputs as ABANDONED, with ``note`` in the execution's ``cancelled_as_orphan``
    property; return ``'<run id>/<node id>'`` of each.

    Only call this while holding the run lock (pipeline.local_runner): then no other run is
    alive, so an unfinished execution is one whose process was killed.
    """
    import os
    if not os.path.exists(metadata_path):
        return []
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = metadata_path
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE
    store = metadata_store.MetadataStore(config)
    pipeline_context = store.get_context_by_type_and_name("pipeline", pipeline_name)
    if pipeline_context is None:
        return []
    cancelled, executions = [], []
    for execution in store.get_executions_by_context(pipeline_context.id):
        if execution.last_known_state not in UNFINISHED_STATES:
            continue
        contexts = store.get_contexts_by_execution(execution.id)
        node = next((c.name.split(".", 1)[-1] for c in contexts if c.type == "node"),
                    str(execution.id))
        run = next((c.name for c in contexts if c.type == "pipeline_run"), "?")
        execution.last_known_state = metadata_store_pb2.Execution.CANCELED
        execution.custom_properties[ORPHAN_NOTE_KEY].string_value = note
        executions.append(execution)
        cancelled.append(f"{run}/{node}")
    if not executions:
        return []
    store.put_executions(executions)
    events = store.get_events_by_execution_ids([e.id for e in executions])
    pending = [a for a in store.get_artifacts_by_id(sorted({ev.artifact_id for ev in events
                                                            if ev.type in (
                                                                metadata_store_pb2.Event.OUTPUT,
                                                                metadata_store_pb2.Event.PENDING_OUTPUT)}))
               if a.state == metadata_store_pb2.Artifact.PENDING]
    for artifact in pending:
        artifact.state = metadata_store_pb2.Artifact.ABANDONED
    if pending:
        store.put_artifacts(pending)
    return cancelled


def unfinished_executions(metadata_path: str, pipeline_name: str) -> List[str]:
    """``'<run id>/<node id>'`` of every execution of the pipeline still NEW or RUNNING."""
    store = open_store(metadata_path)
    pipeline_context = store.get_context_by_type_and_name("pipeline", pipeline_name)
    if pipeline_context is None:
        return []
    found = []
    for execution in store.get_executions_by_context(pipeline_context.id):
        if execution.last_known_state in UNFINISHED_STATES:
            contexts = store.get_contexts_by_execution(execution.id)
            node = next((c.name.split(".", 1)[-1] for c in contexts if c.type == "node"), "?")
            run = next((c.name for c in contexts if c.type == "pipeline_run"), "?")
            found.append(f"{run}/{node}")
    return found
