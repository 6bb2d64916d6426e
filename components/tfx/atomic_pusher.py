"""The TFX Pusher with an atomic push (components.model.publish): a TF Serving version folder
appears complete or not at all, and folders that killed pushes left are removed first. A model
that is already the newest version (a rerun of the same pipeline) is recorded as pushed to that
version, not copied again."""
from __future__ import annotations

import os

from absl import logging
from tfx.components.pusher import executor as pusher_executor
from tfx.components.pusher.component import Pusher
from tfx.dsl.components.base import executor_spec
from tfx.dsl.io import fileio
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils, proto_utils

from components.model import publish


class AtomicPusherExecutor(pusher_executor.Executor):
    """Pusher executor: blessing check as TFX's, then ``publish.publish_version``."""

    def Do(self, input_dict, output_dict, exec_properties) -> None:
        self._log_startup(input_dict, output_dict, exec_properties)
        model_push = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.PUSHED_MODEL_KEY])
        if not self.CheckBlessing(input_dict):
            self._MarkNotPushed(model_push)
            return
        model_path = self.GetModelPath(input_dict)
        destination = pusher_pb2.PushDestination()
        proto_utils.json_to_proto(exec_properties[standard_component_specs.PUSH_DESTINATION_KEY],
                                  destination)
        if destination.WhichOneof("destination") != "filesystem":
            raise NotImplementedError("AtomicPusherExecutor pushes to a filesystem destination")
        base = destination.filesystem.base_directory
        if publish.is_local(base):
            for name in publish.remove_partial_versions(base):
                logging.warning("Removed %s, left by a push that did not finish", name)
            version = publish.served_version_of(model_path, base)
            if version is not None:   # a rerun of a pushed model: it is served already
                serving_path = os.path.join(base, version)
                model_push.set_int_custom_property("already_served", 1)
            else:
                version = publish.next_version(base)
                serving_path = publish.publish_version(model_path, base, version)
        else:   # no atomic folder rename on object stores: saved_model.pb last, as TFX does
            version = publish.next_version("")
            serving_path = os.path.join(base, version)
            io_utils.copy_dir(model_path, serving_path, deny_regex_patterns=[r"saved_model\.pb"])
            io_utils.copy_file(os.path.join(model_path, "saved_model.pb"),
                               os.path.join(serving_path, "saved_model.pb"))
        if not fileio.exists(os.path.join(serving_path, "saved_model.pb")):
            raise RuntimeError(f"{serving_path}: push finished without saved_model.pb")
        io_utils.copy_dir(model_path, model_push.uri)
        self._MarkPushed(model_push, pushed_destination=serving_path, pushed_version=version)
        logging.info("Model pushed to %s", serving_path)


class AtomicPusher(Pusher):
    """TFX's Pusher with :class:`AtomicPusherExecutor` (TFX deprecates passing
    ``custom_executor_spec`` for this and asks for a subclass)."""

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(AtomicPusherExecutor)
