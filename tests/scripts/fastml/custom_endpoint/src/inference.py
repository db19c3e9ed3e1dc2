"""fastml sample `custom_endpoint`: a service named by endpoint(), not by its class (check 17)."""

from fastml_engine.modelservice import BaseService


class Arr(BaseService):
    def load_context(self):
        pass

    def endpoint(self):
        return "custom-arr"

    def infer(self, input_data):
        return {"endpoint": self.endpoint(), "input": input_data}
