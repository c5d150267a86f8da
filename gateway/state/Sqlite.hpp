#pragma once
// SQLite, wrapped once: a database opened for durable writes (WAL, synchronous FULL: a commit is
// on disk when it returns) and its prepared statements. Failures become StorageError, which the
// API answers with 503: what asked for the write did not happen.

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/Error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace loa {

/// The state database refused a read or write (disk full, I/O error, locked): what asked for it
/// did not happen. The API answers it with 503.
class StorageError : public Error {
public:
    using Error::Error;
};

/// One SQLite connection. Not thread-safe: its owner serialises calls.
class SqliteDatabase {
public:
    /// Opens or creates `file` (mode 0600) in WAL mode with full sync; throws loa::Error naming it.
    explicit SqliteDatabase(const std::filesystem::path& file);
    ~SqliteDatabase();
    SqliteDatabase(const SqliteDatabase&) = delete;
    SqliteDatabase& operator=(const SqliteDatabase&) = delete;

    /// Runs SQL without results; throws StorageError.
    void exec(const char* sql);
    /// Whether the last failure was a full disk (SQLITE_FULL).
    bool lastFailureWasFull() const;
    int64_t lastInsertId() const;
    const std::filesystem::path& file() const { return file_; }
    sqlite3* handle() const { return db_; }

private:
    std::filesystem::path file_;
    sqlite3* db_ = nullptr;
};

/// A prepared statement, finalised when it goes.
class SqliteStatement {
public:
    SqliteStatement(const SqliteDatabase& db, const char* sql);
    SqliteStatement(const SqliteDatabase& db, const std::string& sql) : SqliteStatement(db, sql.c_str()) {}
    ~SqliteStatement();
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    SqliteStatement& bind(int i, const std::string& v);
    SqliteStatement& bind(int i, int64_t v);
    /// True while there is a row; throws StorageError on failure.
    bool step();
    /// Ready to run again with new bindings.
    void reset();
    std::string text(int i) const;
    int64_t integer(int i) const;

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

/// A transaction: committed by commit(), rolled back if it goes out of scope before.
class SqliteTransaction {
public:
    explicit SqliteTransaction(SqliteDatabase& db);
    ~SqliteTransaction();
    SqliteTransaction(const SqliteTransaction&) = delete;
    SqliteTransaction& operator=(const SqliteTransaction&) = delete;
    void commit();

private:
    SqliteDatabase& db_;
    bool done_ = false;
};

}  // namespace loa
