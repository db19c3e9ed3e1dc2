"""fastml sample `echo`: infer returns its input unchanged (conformance checks 2-5, 7, 8, 18)."""

from fastml_engine.modelservice import BaseService


class Inference(BaseService):
    def load_context(self):
        pass

    def infer(self, input_data):
        return input_data
