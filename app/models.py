"""Import every model module so metadata (create_all, Alembic autogenerate) sees all tables."""
from app.audit.models import AuditEvent  # noqa: F401
from app.auth.models import Invitation, Membership, Site, Team, User  # noqa: F401
from app.households.models import Household, Person  # noqa: F401
from app.housing.models import Flat  # noqa: F401
