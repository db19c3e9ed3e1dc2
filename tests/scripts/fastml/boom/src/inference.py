"""fastml sample `boom`: infer raises ValueError("boom") (conformance checks 9, 18)."""

from fastml_engine.modelservice import BaseService


class Inference(BaseService):
    def load_context(self):
        pass

    def infer(self, input_data):
        raise ValueError("boom")
