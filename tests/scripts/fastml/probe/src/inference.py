"""fastml sample `probe`: reports what infer received (conformance checks 6, 7, 16).

`type` is the Python type of the input; for a dict, `values` describes each value (a file object as its
attributes and content). It also reports the paths it was given and how often load_context ran.
"""

import logging
import os

from fastml_engine.modelservice import BaseService

from helpers import describe  # a module beside inference.py: src/ is on sys.path

logger = logging.getLogger(__name__)


class Probe(BaseService):
    def load_context(self):
        self.loads = getattr(self, "loads", 0) + 1
        logger.info("probe load_context pid=%d", os.getpid())

    def infer(self, input_data):
        logger.info("probe infer got %s", type(input_data).__name__)
        result = {
            "type": type(input_data).__name__,
            "pid": os.getpid(),
            "loads": self.loads,
            "model_path": self.model_path,
            "service_path": self.service_path,
            "env": {name: os.environ.get(name) for name in ("SERVICE_PATH", "MODEL_PATH")},
        }
        if isinstance(input_data, dict):
            result["values"] = {name: describe(value) for name, value in input_data.items()}
        return result
