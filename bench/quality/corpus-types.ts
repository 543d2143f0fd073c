/**
 * The shapes of bench/quality's corpus specs (corpus-specs.ts, corpus-specs-e.ts), apart from
 * the specs themselves so both spec files can import them without importing each other.
 */
export type CorpusName = 'a' | 'b' | 'c' | 'd' | 'e';

export interface DebianPackage {
  readonly name: string;
  /** A file or directory the package installs, to tell whether it is there. */
  readonly provides: string;
  /** The corpora that need it; every run needs it when unset (ffmpeg, espeak-ng, the excerpt case's music). */
  readonly corpora?: readonly CorpusName[];
}

export type Source =
  | 'freedesktop'
  | 'oxygen'
  | 'yaru'
  | 'sound-icons'
  | 'deepin'
  | 'gnome-audio'
  | 'pidgin'
  | 'asterisk'
  | 'asterisk-fr'
  | 'asterisk-es'
  | 'asterisk-it'
  | 'heroes'
  | 'frozen-bubble'
  | 'pingus'
  | 'eiskaltdcpp'
  | 'asterisk-ru'
  | 'asterisk-it-menardi'
  | 'espeak-ng'
  | 'festival'
  | 'music-on-hold';

export interface ThemeSpec {
  readonly source: Source;
  readonly category: string;
  readonly directory: string;
  /** File names (paths below `directory` when `recursive`) of the theme's sounds there; others are not part of it. */
  readonly pattern: RegExp;
  readonly recursive?: boolean;
  /** Every stride-th of those files in path order, when a set is large beside the corpus's others. */
  readonly stride?: number;
}

export interface PromptSpec {
  readonly directory: string;
  readonly source: Source;
  readonly category: string;
  /** Every stride-th prompt in path order, starting at `offset`. */
  readonly stride: number;
  readonly offset: number;
}

export interface CorpusSpec {
  readonly themes: readonly ThemeSpec[];
  readonly asterisk: readonly PromptSpec[];
  /** Said by each of `voices` (espeak-ng). */
  readonly phrases: readonly string[];
  readonly voices: readonly string[];
  /** Said by a festival voice (text2wave), when the corpus has one. */
  readonly festival?: { readonly voice: FestivalVoice; readonly phrases: readonly string[] };
  /** Corpora whose found files this one leaves out when byte-identical, so a held-back set shares no file with them. */
  readonly disjointFrom?: readonly CorpusName[];
}

export interface FestivalVoice {
  /** Ends the recordings' names: festival-<corpus><phrase>-<id>. */
  readonly id: string;
  /** The Scheme call that selects the voice (text2wave -eval). */
  readonly select: string;
  readonly category: string;
}
