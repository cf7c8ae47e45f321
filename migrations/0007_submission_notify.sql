-- +goose Up
-- Every change to what GET /v1/submissions/{id} shows (the submission row,
-- its timeline, its findings) notifies channel trustgate_submission with
-- the submission's ID, after commit. API processes keep the answers they
-- read in memory and drop one when its submission is named here, so the
-- hottest read does not need the database while nothing changes.
-- PostgreSQL folds identical notifications of one transaction into one, so
-- a scan that stores five hundred findings sends one.
-- +goose StatementBegin
CREATE FUNCTION notify_submission_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'submissions' THEN
        PERFORM pg_notify('trustgate_submission', COALESCE(NEW.id, OLD.id));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('trustgate_submission', OLD.submission_id);
    ELSE
        PERFORM pg_notify('trustgate_submission', NEW.submission_id);
        IF TG_OP = 'UPDATE' AND OLD.submission_id <> NEW.submission_id THEN
            PERFORM pg_notify('trustgate_submission', OLD.submission_id);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER submissions_notify AFTER INSERT OR UPDATE OR DELETE ON submissions
    FOR EACH ROW EXECUTE FUNCTION notify_submission_change();
CREATE TRIGGER submission_events_notify AFTER INSERT OR UPDATE OR DELETE ON submission_events
    FOR EACH ROW EXECUTE FUNCTION notify_submission_change();
CREATE TRIGGER findings_notify AFTER INSERT OR UPDATE OR DELETE ON findings
    FOR EACH ROW EXECUTE FUNCTION notify_submission_change();

-- +goose Down
DROP TRIGGER findings_notify ON findings;
DROP TRIGGER submission_events_notify ON submission_events;
DROP TRIGGER submissions_notify ON submissions;
DROP FUNCTION notify_submission_change();
