"""Query-string parameters, validated with errors that name the parameter, and stated in the
OpenAPI schema with the same bounds."""

from dataclasses import dataclass

from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError


@dataclass(frozen=True)
class IntQuery:
    name: str
    default: int
    low: int
    high: int
    description: str = ""

    def parameter(self) -> OpenApiParameter:
        schema = {"type": "integer", "minimum": self.low, "maximum": self.high}
        return OpenApiParameter(
            self.name, {**schema, "default": self.default}, description=self.description
        )

    def read(self, request) -> int:
        raw = request.query_params.get(self.name)
        if raw is None:
            return self.default
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({self.name: ["Must be an integer."]}) from None
        if not self.low <= value <= self.high:
            raise ValidationError({self.name: [f"Must be between {self.low} and {self.high}."]})
        return value
