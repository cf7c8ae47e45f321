-- +goose Up
-- Modules that many developers ship: a library copied into an app's own
-- folders (no miniprogram_npm/, no license banner) is still a library, and
-- two unrelated apps that both carry it must not look alike. A module is
-- known by the SHA-256 of its MinHash signature (store.ModuleHash), which
-- renaming, reformatting and minifying leave unchanged; each developer who
-- ships it counts once, however many apps or versions carry it.
CREATE TABLE link_modules (
    module_hash  bytea NOT NULL CHECK (length(module_hash) = 32),
    developer_id text NOT NULL REFERENCES developers (id),
    PRIMARY KEY (module_hash, developer_id)
);

-- How many developers ship each module, kept by the same statement that
-- adds a developer to link_modules, so that a scan asks "which of these
-- modules are common" with one index probe each instead of counting.
CREATE TABLE link_module_counts (
    module_hash bytea PRIMARY KEY CHECK (length(module_hash) = 32),
    developers  integer NOT NULL CHECK (developers > 0)
);

-- +goose Down
DROP TABLE link_module_counts;
DROP TABLE link_modules;
