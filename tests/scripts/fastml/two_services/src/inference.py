"""fastml sample `two_services`: two services; /infer goes to the one whose endpoint is `inference`.

`Base` is concrete but has a subclass here, so only `Inference` (its leaf) is served, as in fastml-engine;
`Abstract` is abstract and `Failing` raises, for the error-log checks.
"""

import abc
import logging

from fastml_engine.modelservice import BaseService

logger = logging.getLogger("two_services")


class Base(BaseService):
    def load_context(self):
        self.prefix = "base"

    def infer(self, input_data):
        return {"service": self.prefix, "input": input_data}


class Inference(Base):
    def load_context(self):
        self.prefix = "inference"

    def infer(self, input_data):
        logger.info("user log line from inference")
        return super().infer(input_data)


class Abstract(BaseService):
    @abc.abstractmethod
    def extra(self):
        ...


class Failing(BaseService):
    def load_context(self):
        pass

    def endpoint(self):
        return "boom"

    def infer(self, input_data):
        raise ValueError("boom")
