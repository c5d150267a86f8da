#include "app/SegmentStore.hpp"

#include <algorithm>
#include <fstream>
#include <set>

#include "control/Refusal.hpp"
#include "state/Sqlite.hpp"

namespace loa {

SegmentStore::Stored SegmentStore::store(const std::string& name, const std::string& body, bool replace) const {
    // A plain file name with an audio extension: nothing that could leave the directory.
    static const std::set<std::string> kExtensions = {".wav", ".flac", ".opus", ".ogg", ".mp3"};
    const bool plain =
        !name.empty() && name.size() <= 100 && name.front() != '.' && std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
        });
    const auto extension = std::filesystem::path(name).extension().string();
    if (!plain || !kExtensions.count(extension)) {
        throw Refusal(RefusalReason::invalid,
                      "a segment's name is letters, digits, '-', '_' and '.', ending in .wav, .flac, .opus, .ogg or "
                      ".mp3");
    }
    if (body.empty()) throw Refusal(RefusalReason::invalid, "the file is empty");
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    const auto file = dir_ / name;
    const bool existed = std::filesystem::exists(file, ec);
    if (existed && !replace)
        throw Refusal(RefusalReason::conflict,
                      "segment '" + name + "' exists; upload it with ?replace=1 to replace it");
    const auto partial = dir_ / ("." + name + ".part");
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
        out.flush();
        if (!out) {
            std::filesystem::remove(partial, ec);
            throw StorageError("cannot write " + file.string() + " (disk full?)");
        }
    }
    std::filesystem::rename(partial, file, ec);
    if (ec) {
        std::filesystem::remove(partial, ec);
        throw StorageError("cannot store " + file.string() + ": " + ec.message());
    }
    return {file, existed};
}

nlohmann::json SegmentStore::list() const {
    nlohmann::json out = nlohmann::json::array();
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
        const auto name = entry.path().filename().string();
        if (!entry.is_regular_file(ec) || name.front() == '.') continue;  // a partial upload is not a segment
        out.push_back({{"name", name}, {"path", entry.path().string()}, {"bytes", entry.file_size(ec)}});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a["name"] < b["name"]; });
    return out;
}

}  // namespace loa
