#pragma once
// The gateway's durable state in SQLite (WAL, synchronous FULL): the audit log and the
// emergencies. Whatever an action records is written, and on disk, before the action is taken,
// so a gateway killed at any point resumes from what it had promised.

#include <cstdint>
#include <filesystem>
#include <map>
#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/Error.hpp"
#include "state/Sqlite.hpp"

namespace loa {

/// One entry of the audit log: who asked for what, and what came of it.
struct AuditRecord {
    int64_t id = 0;      ///< assigned by the store
    int64_t timeMs = 0;  ///< Unix time, ms; 0: now
    std::string actor;   ///< token name, "cap", "gateway"
    std::string role;
    std::string address;  ///< where the request came from
    std::string action;   ///< e.g. "emergency.trigger"
    std::string subject;  ///< e.g. the emergency id
    std::string outcome;  ///< "ok", "refused", "pending"...
    std::string detail;   ///< JSON or words: what and why
};

/// An emergency as stored: its request, its stations and its life.
struct EmergencyRecord {
    std::string id;
    std::string status;    ///< actual, exercise, test
    std::string state;     ///< pending, active, cancelled, expired, unconfirmed
    std::string request;   ///< the request as JSON (targets, audio, expiry)
    std::string stations;  ///< the stations it reaches, comma-separated
    int64_t createdMs = 0;
    int64_t expiresMs = 0;  ///< 0: until cancelled
    std::string createdBy;
    std::string confirmedBy;
    std::string endedBy;
};

class StateStore {
public:
    /// Opens or creates the database (throws loa::Error naming the file and SQLite's reason).
    explicit StateStore(const std::filesystem::path& file);
    ~StateStore();
    StateStore(const StateStore&) = delete;
    StateStore& operator=(const StateStore&) = delete;

    /// Appends to the audit log; returns the record's id. Throws loa::Error if it cannot.
    int64_t audit(AuditRecord record);
    /// The newest `limit` records before id `before` (0: from the newest), newest first.
    std::vector<AuditRecord> auditLog(size_t limit, int64_t before = 0);

    /// Inserts or replaces an emergency (by id). Throws loa::Error if it cannot.
    void putEmergency(const EmergencyRecord& record);
    std::optional<EmergencyRecord> emergency(const std::string& id);
    /// Emergencies that are pending or active (or all, newest first, up to `limit`).
    std::vector<EmergencyRecord> emergencies(bool liveOnly, size_t limit = 100);

    /// Where a station's reports last came from (symmetric RTP): saved before it is used.
    void saveLearnedAddress(const std::string& station, const std::string& address, int64_t timeMs);
    std::vector<std::pair<std::string, std::string>> learnedAddresses();

    /// Stations and schedule entries added, changed or removed at runtime (over the config's):
    /// the definition as JSON, or removed. Saved before the change is made.
    struct Change {
        std::string id;
        std::string definition;  ///< JSON; empty when removed
        bool removed = false;
    };
    enum class ChangeKind { station, scheduleEntry };
    void saveChange(ChangeKind kind, const Change& change, int64_t timeMs);
    std::vector<Change> changes(ChangeKind kind);

    /// A station's key epoch (an operator's re-key): raised by one, saved; returns the new one.
    uint32_t raiseKeyEpoch(const std::string& station, int64_t timeMs);
    /// Every station's key epoch above 0.
    std::map<std::string, uint32_t> keyEpochs();

    static int64_t nowMs();

    /// Space kept beside the database for emergencies: when the disk is full, writes of
    /// emergencies (their records and audit entries) free it and go through; everything else is
    /// refused first, and while it is spent. Restored by restoreReserve() once there is room.
    static constexpr size_t kReserveBytes = 4 << 20;  ///< at most; an eighth of a smaller disk
    size_t reserveBytes() const;
    /// Recreates the reserve if it is spent or missing; true if it is whole. At open, and from
    /// the control thread every few seconds while it is spent.
    bool restoreReserve();
    bool reserveSpent() const { return reserveSpent_.load(); }
    /// Deletes audit entries older than `beforeMs` and all but the newest `keepRows`; returns
    /// how many. Never refuses: a full disk only delays it.
    int64_t pruneAudit(int64_t beforeMs, int64_t keepRows);

private:
    /// Runs a write; on a full disk, spends the reserve for an emergency's write (and retries
    /// once), and refuses anything else saying why.
    template <class F>
    auto write(bool emergency, F&& f) -> decltype(f());

    SqliteDatabase db_;
    std::mutex mutex_;
    std::filesystem::path reserve_;
    std::atomic<bool> reserveSpent_{false};
};

}  // namespace loa
