#include <gtest/gtest.h>

#include "TestData.hpp"
#include "common/Error.hpp"
#include "state/StateStore.hpp"
#include "srtp/StationKeys.hpp"

#include <sys/stat.h>

using namespace loa;

TEST(StateStore, KeepsTheAuditLogAndEmergenciesAcrossReopening) {
    test::TempDir dir;
    const auto file = dir.path() / "loa.db";
    {
        StateStore store(file);
        EXPECT_EQ(store.audit({0, 0, "alice", "emergency", "127.0.0.1", "emergency.trigger", "em-1", "ok", "{}"}), 1);
        store.audit({0, 0, "bob", "viewer", "127.0.0.1", "emergency.trigger", "-", "refused", "{}"});
        store.putEmergency({"em-1", "actual", "active", "{}", "a,b", 1000, 0, "alice", "carol", ""});
        store.putEmergency({"em-2", "test", "cancelled", "{}", "a", 2000, 0, "alice", "", "alice"});
    }
    StateStore store(file);
    const auto log = store.auditLog(10);
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0].actor, "bob");  // newest first
    EXPECT_EQ(log[1].action, "emergency.trigger");
    EXPECT_GT(log[1].timeMs, 0);
    EXPECT_EQ(store.auditLog(10, log[0].id).size(), 1u);
    const auto live = store.emergencies(true);
    ASSERT_EQ(live.size(), 1u);
    EXPECT_EQ(live[0].id, "em-1");
    EXPECT_EQ(live[0].confirmedBy, "carol");
    EXPECT_EQ(store.emergencies(false).size(), 2u);
    EXPECT_FALSE(store.emergency("em-9"));
}

TEST(StateStore, AnUnwritablePlaceIsAClearError) {
    try {
        StateStore store("/proc/loa-cannot-be-here/loa.db");
        FAIL() << "opened";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/proc/loa-cannot-be-here/loa.db"), std::string::npos) << e.what();
    }
}

TEST(StateFiles, TheStateDirectoryDatabaseAndSecretArePrivateWhateverTheUmask) {
    test::TempDir dir;
    const mode_t old = ::umask(0);  // the loosest: every file would be world-writable
    const auto state = dir.path() / "deeper" / "state";
    loadOrCreateSecret(state / "secret");
    { StateStore store(state / "loa.db"); }
    ::umask(old);
    const auto mode = [](const std::filesystem::path& p) {
        struct stat st {};
        EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
        return st.st_mode & 0777;
    };
    EXPECT_EQ(mode(state), 0700u);
    EXPECT_EQ(mode(state / "secret"), 0600u);
    EXPECT_EQ(mode(state / "loa.db"), 0600u);
}

TEST(StateStore, TheAuditLogKeepsItsRetentionAndRowBound) {
    test::TempDir dir;
    StateStore store(dir.path() / "loa.db");
    const int64_t day = 86400000, now = StateStore::nowMs();
    for (int i = 0; i < 10; ++i)
        store.audit({0, now - (10 - i) * day, "a", "admin", "-", "x", std::to_string(i), "ok", "{}"});
    // Older than 5 days: the first five.
    EXPECT_EQ(store.pruneAudit(now - 5 * day - 1000, 1000000), 5);
    EXPECT_EQ(store.auditLog(100).size(), 5u);
    // At most three rows: the newest three.
    EXPECT_EQ(store.pruneAudit(0, 3), 2);
    const auto left = store.auditLog(100);
    ASSERT_EQ(left.size(), 3u);
    EXPECT_EQ(left.front().subject, "9");
    EXPECT_EQ(left.back().subject, "7");
}

TEST(StateStore, KeepsAReserveForEmergenciesBesideTheDatabase) {
    test::TempDir dir;
    StateStore store(dir.path() / "loa.db");
    EXPECT_FALSE(store.reserveSpent());
    const auto reserve = dir.path() / "loa.db.reserve";
    ASSERT_TRUE(std::filesystem::exists(reserve));
    EXPECT_EQ(std::filesystem::file_size(reserve), store.reserveBytes());
    EXPECT_GE(store.reserveBytes(), 128u << 10);
    std::filesystem::remove(reserve);  // lost: restored on the next look
    EXPECT_TRUE(store.restoreReserve());
    EXPECT_EQ(std::filesystem::file_size(reserve), store.reserveBytes());
}
