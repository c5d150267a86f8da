#pragma once
// The segment files uploaded through the API, in one directory (state_dir/segments): stored
// under a plain name with an audio extension, whole or not at all (written aside, then renamed),
// never replaced unless asked. Called from the API's thread; the directory is its own.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace loa {

class SegmentStore {
public:
    explicit SegmentStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

    struct Stored {
        std::filesystem::path file;
        bool replaced = false;
    };
    /// Stores `body` as `name`. Throws Refusal (invalid: a name that is not plain or not audio,
    /// an empty file; conflict: it exists and `replace` is false) or StorageError (cannot write:
    /// nothing is left behind).
    Stored store(const std::string& name, const std::string& body, bool replace) const;
    /// The stored files by name: [{"name", "path", "bytes"}].
    nlohmann::json list() const;
    const std::filesystem::path& dir() const { return dir_; }

private:
    std::filesystem::path dir_;
};

}  // namespace loa
