"""Domain errors raised by services; views turn them into a flash message, a 403 or a JSON error."""


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, field_errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class ValidationError(DomainError):
    status_code = 400


class PermissionDenied(DomainError):
    status_code = 403

    def __init__(self, message: str = "您没有权限执行此操作"):
        super().__init__(message)


class InvalidTransition(DomainError):
    status_code = 409


class NotFound(DomainError):
    status_code = 404

    def __init__(self, message: str = "未找到该记录"):
        super().__init__(message)
