"""A gift's allocations add up to its amount, checked by the database at commit.

Frozen: every tenant schema ran exactly this SQL when it was migrated, and a schema made later
must come out the same, so the SQL below is never edited. A change to this check is a new
migration that carries its own SQL (and, as its reverse, the definition it replaces).
"""

from django.db import migrations

FORWARD = """-- A gift's allocations add up to its amount. donations.services builds them so; this keeps any
-- other writer (raw SQL, a bulk import, a later migration) from leaving a gift whose funds do not
-- account for all of it. Checked at commit (deferred), because a gift and its allocations are
-- written by separate statements. The search path is pinned to the tenant's schema when the
-- migration runs, so the check reads this tenant's tables whatever the path is at commit.

CREATE OR REPLACE FUNCTION donations_gift_allocations_add_up() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    checked bigint;
    gift_amount numeric;
    allocated numeric;
    gifts bigint[];
BEGIN
    IF TG_TABLE_NAME = 'donations_gift' THEN
        gifts := ARRAY[NEW.id];
    ELSIF TG_OP = 'INSERT' THEN
        gifts := ARRAY[NEW.gift_id];
    ELSIF TG_OP = 'DELETE' THEN
        gifts := ARRAY[OLD.gift_id];
    ELSE
        gifts := ARRAY[OLD.gift_id, NEW.gift_id];
    END IF;
    FOREACH checked IN ARRAY gifts LOOP
        SELECT g.amount INTO gift_amount FROM donations_gift g WHERE g.id = checked;
        CONTINUE WHEN NOT FOUND;  -- deleted, with its allocations
        SELECT COALESCE(sum(a.amount), 0) INTO allocated
          FROM donations_giftallocation a WHERE a.gift_id = checked;
        IF allocated <> gift_amount THEN
            RAISE EXCEPTION 'Gift % is allocated % in all, not its amount %.',
                checked, allocated, gift_amount
                USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER gift_allocations_add_up
    AFTER INSERT OR UPDATE OF amount ON donations_gift
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION donations_gift_allocations_add_up();

CREATE CONSTRAINT TRIGGER giftallocation_adds_up
    AFTER INSERT OR UPDATE OR DELETE ON donations_giftallocation
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION donations_gift_allocations_add_up();
"""

REVERSE = (
    "DROP TRIGGER giftallocation_adds_up ON donations_giftallocation;"
    "DROP TRIGGER gift_allocations_add_up ON donations_gift;"
    "DROP FUNCTION donations_gift_allocations_add_up();"
)


class Migration(migrations.Migration):
    dependencies = [("donations", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=REVERSE)]
