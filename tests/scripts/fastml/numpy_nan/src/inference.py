"""fastml sample `numpy_nan`: returns numpy values holding NaN and infinities (check 12)."""

import numpy as np
from fastml_engine.modelservice import BaseService


class Inference(BaseService):
    def load_context(self):
        self.values = np.array([[1.5, np.nan], [np.inf, -np.inf]])

    def infer(self, input_data):
        return {"array": self.values, "scalar": np.float32(2.5), "count": np.int64(3), "flag": np.bool_(True)}
