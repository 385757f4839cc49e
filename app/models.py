"""Import every model module so metadata (create_all, Alembic autogenerate) sees all tables."""
from app.audit.models import AuditEvent  # noqa: F401
from app.auth.models import Invitation, LoginSession, Membership, Site, Team, User  # noqa: F401
from app.auth.models import PasskeyCredential, SecurityPolicy, WebAuthnChallenge  # noqa: F401
from app.households.models import (Barrier, Enrolment, Goal, GoalStep, Household,  # noqa: F401
                                   Note, Person, Right)
from app.housing.models import (AdmissionDecision, Application, ArrearsStep,  # noqa: F401
                                Contract, Flat, Payment, Place, Renewal, RentTerms)
from app.visits.models import ReportConflict, Visit, VisitReport, visit_worker  # noqa: F401
from app.permanences.models import (Aid, AidCriterion, Arrival, Closure,  # noqa: F401
                                    DropInPerson, DropInSession, Dysfunction, Intake,
                                    Orientation, Partner, PermanenceSettings, ScheduleNeed,
                                    SessionNeed, SessionSchedule, Shift, ShiftCall,
                                    VolunteerProfile, VulnerabilityCriterion, intake_criterion)
from app.inventories.models import (Inventory, InventoryItem, InventoryPhoto,  # noqa: F401
                                    InventoryRoom, InventoryTemplate, KeySet, MeterReading,
                                    Signature)
from app.alerts.models import (Alert, AlertSetting, Notification, PushPreference,  # noqa: F401
                               PushSubscription)
from app.measures.models import FunderBatch, LinkSheet, Measure  # noqa: F401
from app.dashboard.models import (enrolment_counts, report_orientation,  # noqa: F401
                                  visit_counts)
from app.logbook.models import (FlatCheck, FlatCheckItem, LogbookSettings,  # noqa: F401
                                LogEntry, LogEntryConflict, LogEntryPerson, LogEntryPhoto)
from app.relogement.models import (Building, Mission, Operation, Proposal,  # noqa: F401
                                   RehousingCase)
from app.privacy.models import (ArchiveAccess, HouseholdArchive,  # noqa: F401
                                RetentionPolicy, RetentionRun)
