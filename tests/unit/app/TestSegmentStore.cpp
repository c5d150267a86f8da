#include <gtest/gtest.h>

#include <fstream>

#include "TestData.hpp"
#include "app/SegmentStore.hpp"
#include "control/Refusal.hpp"
#include "state/Sqlite.hpp"

namespace loa {
namespace {

std::string contents(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

RefusalReason refusal(const SegmentStore& store, const std::string& name, const std::string& body,
                      bool replace = false) {
    try {
        store.store(name, body, replace);
    } catch (const Refusal& e) {
        return e.reason();
    }
    ADD_FAILURE() << name << " was stored";
    return RefusalReason::invalid;
}

TEST(SegmentStore, StoresAPlainAudioNameAndRefusesAnyOtherName) {
    test::TempDir dir;
    const SegmentStore store(dir.path() / "segments");
    const auto stored = store.store("news-0600.wav", "RIFF....", false);
    EXPECT_EQ(stored.file, dir.path() / "segments" / "news-0600.wav");
    EXPECT_FALSE(stored.replaced);
    EXPECT_EQ(contents(stored.file), "RIFF....");
    for (const std::string& name :
         std::vector<std::string>{"../escape.wav", "/etc/x.wav", ".hidden.wav", "a b.wav", "notes.txt", "", "x.wav/",
                                  std::string(101, 'a') + ".wav"}) {
        EXPECT_EQ(refusal(store, name, "data"), RefusalReason::invalid) << name;
    }
    EXPECT_EQ(refusal(store, "empty.wav", ""), RefusalReason::invalid);
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "escape.wav"));
}

TEST(SegmentStore, AnExistingSegmentIsReplacedOnlyWhenAsked) {
    test::TempDir dir;
    const SegmentStore store(dir.path());
    store.store("jingle.ogg", "first", false);
    EXPECT_EQ(refusal(store, "jingle.ogg", "second"), RefusalReason::conflict);
    EXPECT_EQ(contents(dir.path() / "jingle.ogg"), "first");
    EXPECT_TRUE(store.store("jingle.ogg", "second", true).replaced);
    EXPECT_EQ(contents(dir.path() / "jingle.ogg"), "second");
}

TEST(SegmentStore, ListsWholeFilesByNameNeverAPartialUpload) {
    test::TempDir dir;
    const SegmentStore store(dir.path());
    EXPECT_TRUE(store.list().empty());
    store.store("b.flac", "bb", false);
    store.store("a.mp3", "a", false);
    std::ofstream(dir.path() / ".c.wav.part") << "half";
    const auto list = store.list();
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0]["name"], "a.mp3");
    EXPECT_EQ(list[0]["bytes"], 1);
    EXPECT_EQ(list[1]["name"], "b.flac");
}

TEST(SegmentStore, AFileThatCannotBeWrittenIsAStorageErrorAndLeavesNothingBehind) {
    test::TempDir dir;
    std::ofstream(dir.path() / "not-a-directory") << "x";  // (root may write anywhere: a file is in the way)
    const SegmentStore store(dir.path() / "not-a-directory" / "segments");
    EXPECT_THROW(store.store("news.wav", "data", false), StorageError);
    EXPECT_EQ(contents(dir.path() / "not-a-directory"), "x");
    EXPECT_TRUE(store.list().empty());
}

}  // namespace
}  // namespace loa
