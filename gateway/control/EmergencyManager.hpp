#pragma once
// Emergency broadcasts: who may trigger, confirm and cancel them, which stations they reach,
// and their life (pending, active, then cancelled, expired or unconfirmed). Every attempt,
// allowed or refused, goes to the audit log, and a change of state is on disk before it is
// acted on. Putting the audio on air is the EmergencyOutput's business (the gateway's).

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/Error.hpp"
#include "control/Actor.hpp"
#include "control/CapAlert.hpp"
#include "control/Refusal.hpp"
#include "control/StationOptions.hpp"
#include "rtp/RtpPacket.hpp"
#include "state/StateStore.hpp"

namespace loa {

/// What goes on air for an emergency.
struct EmergencyAudio {
    std::string status;  ///< actual, exercise or test
    int toneMs = 0;      ///< alert tone first (0: none)
    std::optional<std::filesystem::path> message;
    std::string liveProgramme;  ///< relay this programme's live feed (after the tone) instead of a message
    bool relayUpstream = false;  ///< relay liveProgramme's upstream instead: a parent's alert
    bool fromParent = false;     ///< a parent gateway's alert (precedence: above local ones of equal status)
    AlertInfo alert;             ///< what its packets say it is: id, status and origin
};

class EmergencyOutput {
public:
    virtual ~EmergencyOutput() = default;
    /// Puts emergency `id` on air for `stations`; returns the emergency whose slot it took (one
    /// it outranks, when every slot was on air), which is then off air. Throws loa::Error if it
    /// cannot.
    virtual std::optional<std::string> startEmergency(const std::string& id, const EmergencyAudio& audio,
                                                      const std::vector<std::string>& stations) = 0;
    virtual void stopEmergency(const std::string& id) = 0;
    /// A station joins emergency `id`, from its next frame (it was added or changed into its targets).
    virtual void joinEmergency(const std::string& id, const std::string& station) = 0;
};

/// What the emergency rules take from the config (the app maps it): who this gateway is, where
/// CAP audio is kept, the tone and the messages, the two-person rule, the programmes and the
/// stations an emergency may target.
struct EmergencyOptions {
    std::string gatewayId;
    std::filesystem::path stateDir;  ///< CAP alerts' audio goes to stateDir/cap
    int toneMs = 3000;               ///< the alert tone before the message
    /// Messages an emergency may play, by name (the API names one; no path travels over it).
    std::vector<std::pair<std::string, std::filesystem::path>> messages;
    bool twoPersonRule = false;  ///< an actual emergency needs a second operator's confirmation...
    int confirmWindowS = 0;      ///< ...within this time
    /// Each programme's id, and whether it has a live feed (an emergency may relay it).
    std::vector<std::pair<std::string, bool>> programmes;
    std::vector<StationSettings> stations;
};

class EmergencyManager {
public:
    EmergencyManager(StateStore& store, EmergencyOutput& output, EmergencyOptions options);

    /// The stations and rules of a reloaded config (active emergencies keep their stations).
    void updateOptions(EmergencyOptions options);
    /// One station added, changed (`now`) or removed (null), the others as they were: work in
    /// proportion to the change. A station new to an alert's targets joins it.
    void updateStation(const std::string& id, const StationSettings* now);

    /// Body: {"targets": {"all": true} | {"areas": [...], "groups": [...], "stations": [...]},
    ///        "status": "actual"|"exercise"|"test", "tone": true, "message": NAME,
    ///        "expires_s": N, "note": TEXT}. Throws Refusal.
    EmergencyRecord trigger(const Actor& caller, const nlohmann::json& body);
    EmergencyRecord confirm(const Actor& caller, const std::string& id);
    /// A CAP 1.2 alert: Alert triggers (areas from its geocodes, expiry, its own audio or the
    /// message named "cap"), Update ends what it references and triggers anew, Cancel ends
    /// what it references. Returns the emergencies it started or ended. Throws Refusal.
    std::vector<EmergencyRecord> fromCap(const Actor& caller, const CapAlert& alert);
    EmergencyRecord cancel(const Actor& caller, const std::string& id);
    std::vector<EmergencyRecord> list(bool liveOnly);

    /// Told of every step taken on an emergency (for the event stream): action, record, outcome.
    using Observer = std::function<void(const std::string&, const EmergencyRecord&, const std::string&)>;
    void setObserver(Observer observer) { observer_ = std::move(observer); }

    /// Why an audio file cannot be played (empty: it can). A CAP alert's own audio is checked
    /// with it before the alert is accepted; without a check, it is taken as it is.
    using AudioCheck = std::function<std::string(const std::filesystem::path&)>;
    void setAudioCheck(AudioCheck check) { audioCheck_ = std::move(check); }
    /// Deletes CAP alerts' audio files (state_dir/cap) that no live emergency plays and that
    /// are older than `retention`; returns how many. Called by the control thread, hourly.
    size_t pruneCapAudio(std::chrono::seconds retention);

    /// About once a second: ends expired emergencies and unconfirmed requests.
    void tick();
    /// At start: what was active before a crash or restart goes back on air (a parent's alert
    /// comes back with the parent's stream instead).
    void resume();

    /// A parent's alert, heard on `programme`'s upstream from its first authentic packet: it
    /// becomes an emergency of this gateway too (the same id and status, `origin` named),
    /// recorded and audited, for this gateway's stations on that programme that take its status,
    /// relayed from the parent's own audio. Ends whatever other alert was relayed from there.
    void relayFromParent(const AlertInfo& alert, const std::string& programme, const std::string& origin);
    /// The parent's stream on `programme` carries no alert now (or stopped): what was relayed
    /// from it ends, audited with `why`.
    void parentStopped(const std::string& programme, const std::string& why);
    /// Who an emergency was relayed from, if it is a parent's.
    static std::optional<std::string> relayOrigin(const EmergencyRecord& r);

private:
    EmergencyRecord triggerLocked(const Actor& caller, const nlohmann::json& body, const nlohmann::json& internal);
    EmergencyRecord cancelLocked(const Actor& caller, const std::string& id);
    void requireRole(const Actor& caller, const std::string& action, const std::string& subject);
    EmergencyRecord load(const std::string& id, const Actor& caller, const std::string& action);
    void refuse(const Actor& caller, const std::string& action, const std::string& subject, RefusalReason reason,
                const std::string& why);
    void audit(const Actor& caller, const std::string& action, const EmergencyRecord& r, const std::string& outcome,
               const std::string& detail = {});
    void goOnAir(EmergencyRecord& r, const Actor& caller);
    void endRelayed(const std::string& programme, const std::string& except, const std::string& why);
    /// Stations new or changed in what alerts target join the active alerts naming them.
    void joinActive(const std::vector<const StationSettings*>& stations);
    /// The programme `id` (and whether it has a live feed), or null.
    const std::pair<std::string, bool>* programme(std::string_view id) const;
    static bool targetedDifferently(const StationSettings& a, const StationSettings& b);
    /// Emergency `id` lost its slot to `by`: off air, recorded and audited.
    void preempted(const std::string& id, const EmergencyRecord& by);
    EmergencyAudio audioOf(const EmergencyRecord& r) const;
    static std::vector<std::string> stationsOf(const EmergencyRecord& r);

    StateStore& store_;
    EmergencyOutput& output_;
    EmergencyOptions options_;
    AudioCheck audioCheck_;
    std::mutex mutex_;
    Observer observer_;
};

}  // namespace loa
