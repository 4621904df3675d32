// The track webhook's signing secret, one per workspace: created or rotated by
// `css-bot track-secret` (shown once), stored sealed with CSS_ENCRYPTION_KEY and bound to the
// workspace, and opened by the API to check each request's X-Signature.
import { KnownError } from "../errors.ts";
import { workspaceSecretOf } from "./workspace-secret.ts";

export class TrackSecretExistsError extends KnownError {
  readonly code = "TRACK_SECRET_EXISTS";
}

const trackSecret = workspaceSecretOf({
  field: "trackSecret",
  name: "track-secret",
  what: "the track signing secret",
  exists: (raced) =>
    new TrackSecretExistsError(
      raced
        ? "another command set the track signing secret meanwhile"
        : "the workspace has a track signing secret already: --rotate replaces it (then update it in Segment)",
    ),
});

export const trackSecretContext = trackSecret.context;
export const createTrackSecret = trackSecret.create;
export const openTrackSecret = trackSecret.open;
