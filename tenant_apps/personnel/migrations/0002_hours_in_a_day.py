"""At most 24 hours per person per day, checked by the database too.

Frozen: every tenant schema ran exactly this SQL when it was migrated, and a schema made later
must come out the same, so the SQL below is never edited. A change to this check is a new
migration that carries its own SQL (and, as its reverse, the definition it replaces).
"""

from django.db import migrations

FORWARD = """-- A person logs at most 24 hours a day, across entries (rejected ones do not count).
-- personnel.services checks it under a lock on the person's row, so that two submissions for
-- the same person cannot pass together; this keeps any other writer (raw SQL, an import, a later
-- migration) to the same rule. The search path is pinned to the tenant's schema when the
-- migration runs, so the check reads this tenant's table whatever the path is at the time.

CREATE OR REPLACE FUNCTION personnel_hours_in_a_day() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    day_total numeric;
BEGIN
    IF NEW.state = 'rejected' THEN
        RETURN NULL;
    END IF;
    SELECT COALESCE(sum(h.hours), 0) INTO day_total
      FROM personnel_hourentry h
     WHERE h.person_id = NEW.person_id AND h.date = NEW.date AND h.state <> 'rejected';
    IF day_total > 24 THEN
        RAISE EXCEPTION 'Person % would have % hours on %; a day has 24.',
            NEW.person_id, day_total, NEW.date
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER hourentry_hours_in_a_day
    AFTER INSERT OR UPDATE OF person_id, date, hours, state ON personnel_hourentry
    FOR EACH ROW EXECUTE FUNCTION personnel_hours_in_a_day();
"""

REVERSE = (
    "DROP TRIGGER hourentry_hours_in_a_day ON personnel_hourentry;"
    "DROP FUNCTION personnel_hours_in_a_day();"
)


class Migration(migrations.Migration):
    dependencies = [("personnel", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=REVERSE)]
