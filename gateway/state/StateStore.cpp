#include "state/StateStore.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "common/Error.hpp"
#include "common/Log.hpp"

namespace loa {
namespace {
using Statement = SqliteStatement;

EmergencyRecord emergencyFrom(const Statement& s) {
    return {s.text(0),    s.text(1),    s.text(2), s.text(3), s.text(4),
            s.integer(5), s.integer(6), s.text(7), s.text(8), s.text(9)};
}

constexpr const char* kEmergencyColumns =
    "id, status, state, request, stations, created_ms, expires_ms, created_by, confirmed_by, ended_by";
}  // namespace

int64_t StateStore::nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

StateStore::StateStore(const std::filesystem::path& file) : db_(file), reserve_(file.string() + ".reserve") {
    try {
        db_.exec(
            "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL, "
            "actor TEXT NOT NULL, role TEXT NOT NULL, address TEXT NOT NULL, action TEXT NOT NULL, "
            "subject TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL)");
        db_.exec(
            "CREATE TABLE IF NOT EXISTS emergencies (id TEXT PRIMARY KEY, status TEXT NOT NULL, state TEXT NOT NULL, "
            "request TEXT NOT NULL, stations TEXT NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, "
            "created_by TEXT NOT NULL, confirmed_by TEXT NOT NULL, ended_by TEXT NOT NULL)");
        db_.exec(
            "CREATE TABLE IF NOT EXISTS learned_addresses (station TEXT PRIMARY KEY, address TEXT NOT NULL, "
            "time_ms INTEGER NOT NULL)");
        db_.exec(
            "CREATE TABLE IF NOT EXISTS key_epochs (station TEXT PRIMARY KEY, epoch INTEGER NOT NULL, "
            "time_ms INTEGER NOT NULL)");
        db_.exec(
            "CREATE TABLE IF NOT EXISTS changes (kind TEXT NOT NULL, id TEXT NOT NULL, definition TEXT NOT NULL, "
            "removed INTEGER NOT NULL, time_ms INTEGER NOT NULL, PRIMARY KEY (kind, id))");
    } catch (const Error& e) {
        throw Error("cannot prepare the state database " + file.string() + ": " + e.what());
    }
    if (!restoreReserve()) {
        LOA_LOG(error, "state") << "cannot keep " << (reserveBytes() >> 10) << " KiB for emergencies beside "
                                << file.string() << " (disk full?): other writes are refused until there is room";
    }
}

StateStore::~StateStore() = default;

template <class F>
auto StateStore::write(bool emergency, F&& f) -> decltype(f()) {
    if (!emergency && reserveSpent_)
        throw StorageError(
            "the disk is full: the space kept for emergencies is in use, and nothing else is written until there is "
            "room");
    try {
        return f();
    } catch (const StorageError& e) {
        if (!db_.lastFailureWasFull()) throw;
        if (!emergency)
            throw StorageError(std::string(e.what()) +
                               " (the disk is full; the space kept for emergencies is not used for this)");
        std::error_code ec;
        if (reserveSpent_ || !std::filesystem::remove(reserve_, ec)) throw;
        reserveSpent_ = true;
        LOA_LOG(error, "state") << "the disk is full: the space kept for emergencies is spent on one; everything "
                                   "else is refused until there is room";
        return f();
    }
}

size_t StateStore::reserveBytes() const {
    // An eighth of a small disk, at most kReserveBytes: room for a few emergencies' writes.
    struct statvfs fs {};
    if (::statvfs(reserve_.parent_path().c_str(), &fs) != 0) return kReserveBytes;
    const uint64_t total = static_cast<uint64_t>(fs.f_blocks) * fs.f_frsize;
    return static_cast<size_t>(std::clamp<uint64_t>(total / 8, 128 << 10, kReserveBytes));
}

bool StateStore::restoreReserve() {
    std::lock_guard lock(mutex_);
    std::error_code ec;
    if (!reserveSpent_ && std::filesystem::file_size(reserve_, ec) == reserveBytes()) return true;
    const std::string partial = reserve_.string() + ".part";
    const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && ::posix_fallocate(fd, 0, static_cast<off_t>(reserveBytes())) == 0 && ::fsync(fd) == 0;
    if (fd >= 0) ::close(fd);
    ok = ok && ::rename(partial.c_str(), reserve_.c_str()) == 0;
    if (!ok) {
        ::unlink(partial.c_str());
        reserveSpent_ = true;  // no reserve: the next emergency cannot rely on one
        return false;
    }
    if (reserveSpent_.exchange(false)) {
        LOA_LOG(warn, "state") << "there is room again: the space kept for emergencies is restored";
    }
    return true;
}

int64_t StateStore::pruneAudit(int64_t beforeMs, int64_t keepRows) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "DELETE FROM audit WHERE time_ms < ? OR id <= (SELECT COALESCE(MAX(id), 0) FROM audit) - ?");
    s.bind(1, beforeMs).bind(2, keepRows).step();
    return sqlite3_changes(db_.handle());
}

int64_t StateStore::audit(AuditRecord r) {
    std::lock_guard lock(mutex_);
    if (r.timeMs == 0) r.timeMs = nowMs();
    // What an emergency did (not a refusal of one: a viewer's refused trigger must not spend it).
    const bool emergency =
        (r.action.rfind("emergency.", 0) == 0 || r.action.rfind("cap.", 0) == 0) && r.outcome != "refused";
    return write(emergency, [&] {
        Statement s(db_,
                    "INSERT INTO audit (time_ms, actor, role, address, action, subject, outcome, detail) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        s.bind(1, r.timeMs).bind(2, r.actor).bind(3, r.role).bind(4, r.address).bind(5, r.action).bind(6, r.subject);
        s.bind(7, r.outcome).bind(8, r.detail).step();
        return db_.lastInsertId();
    });
}

std::vector<AuditRecord> StateStore::auditLog(size_t limit, int64_t before) {
    std::lock_guard lock(mutex_);
    Statement s(db_,
                "SELECT id, time_ms, actor, role, address, action, subject, outcome, detail FROM audit "
                "WHERE (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?");
    s.bind(1, before).bind(2, before).bind(3, static_cast<int64_t>(limit));
    std::vector<AuditRecord> out;
    while (s.step()) {
        out.push_back(
            {s.integer(0), s.integer(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6), s.text(7), s.text(8)});
    }
    return out;
}

void StateStore::putEmergency(const EmergencyRecord& r) {
    std::lock_guard lock(mutex_);
    write(true, [&] {
        Statement s(db_, (std::string("INSERT OR REPLACE INTO emergencies (") + kEmergencyColumns +
                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                             .c_str());
        s.bind(1, r.id).bind(2, r.status).bind(3, r.state).bind(4, r.request).bind(5, r.stations);
        s.bind(6, r.createdMs).bind(7, r.expiresMs).bind(8, r.createdBy).bind(9, r.confirmedBy).bind(10, r.endedBy);
        s.step();
    });
}

void StateStore::saveLearnedAddress(const std::string& station, const std::string& address, int64_t timeMs) {
    std::lock_guard lock(mutex_);
    write(false, [&] {
        Statement s(db_, "INSERT OR REPLACE INTO learned_addresses (station, address, time_ms) VALUES (?, ?, ?)");
        s.bind(1, station).bind(2, address).bind(3, timeMs).step();
    });
}

std::vector<std::pair<std::string, std::string>> StateStore::learnedAddresses() {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT station, address FROM learned_addresses");
    std::vector<std::pair<std::string, std::string>> out;
    while (s.step())
        out.emplace_back(s.text(0), s.text(1));
    return out;
}

uint32_t StateStore::raiseKeyEpoch(const std::string& station, int64_t timeMs) {
    std::lock_guard lock(mutex_);
    return write(false, [&] {
        SqliteTransaction transaction(db_);
        Statement read(db_, "SELECT epoch FROM key_epochs WHERE station = ?");
        read.bind(1, station);
        const int64_t epoch = (read.step() ? read.integer(0) : 0) + 1;
        Statement save(db_, "INSERT OR REPLACE INTO key_epochs (station, epoch, time_ms) VALUES (?, ?, ?)");
        save.bind(1, station).bind(2, epoch).bind(3, timeMs).step();
        transaction.commit();
        return static_cast<uint32_t>(epoch);
    });
}

std::map<std::string, uint32_t> StateStore::keyEpochs() {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT station, epoch FROM key_epochs");
    std::map<std::string, uint32_t> out;
    while (s.step())
        out[s.text(0)] = static_cast<uint32_t>(s.integer(1));
    return out;
}

namespace {
const char* kindName(StateStore::ChangeKind kind) {
    return kind == StateStore::ChangeKind::station ? "station" : "schedule";
}
}  // namespace

void StateStore::saveChange(ChangeKind kind, const Change& c, int64_t timeMs) {
    std::lock_guard lock(mutex_);
    write(false, [&] {
        Statement s(db_,
                    "INSERT OR REPLACE INTO changes (kind, id, definition, removed, time_ms) VALUES (?, ?, ?, ?, ?)");
        s.bind(1, std::string(kindName(kind))).bind(2, c.id).bind(3, c.definition).bind(4, int64_t{c.removed});
        s.bind(5, timeMs).step();
    });
}

std::vector<StateStore::Change> StateStore::changes(ChangeKind kind) {
    std::lock_guard lock(mutex_);
    Statement s(db_, "SELECT id, definition, removed FROM changes WHERE kind = ? ORDER BY time_ms");
    s.bind(1, std::string(kindName(kind)));
    std::vector<Change> out;
    while (s.step())
        out.push_back({s.text(0), s.text(1), s.integer(2) != 0});
    return out;
}

std::optional<EmergencyRecord> StateStore::emergency(const std::string& id) {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string("SELECT ") + kEmergencyColumns + " FROM emergencies WHERE id = ?").c_str());
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return emergencyFrom(s);
}

std::vector<EmergencyRecord> StateStore::emergencies(bool liveOnly, size_t limit) {
    std::lock_guard lock(mutex_);
    Statement s(db_, (std::string("SELECT ") + kEmergencyColumns +
                      " FROM emergencies WHERE (? = 0 OR state IN ('pending', 'active')) "
                      "ORDER BY created_ms DESC LIMIT ?")
                         .c_str());
    s.bind(1, int64_t{liveOnly}).bind(2, static_cast<int64_t>(limit));
    std::vector<EmergencyRecord> out;
    while (s.step())
        out.push_back(emergencyFrom(s));
    return out;
}

}  // namespace loa
