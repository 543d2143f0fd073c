/**
 * What bench/quality's corpora are made of: the Debian packages and directories their audio
 * comes from, and each corpus's themes, prompts, phrases and voices. corpus.ts builds them.
 * Corpus E's are in corpus-specs-e.ts.
 */
import { CORPUS_E, CORPUS_E_PACKAGES } from './corpus-specs-e.ts';
import type { CorpusName, CorpusSpec, DebianPackage, FestivalVoice, ThemeSpec } from './corpus-types.ts';

export type { CorpusName, CorpusSpec, DebianPackage, FestivalVoice, PromptSpec, Source, ThemeSpec } from './corpus-types.ts';

export const FREEDESKTOP_DIRECTORY = '/usr/share/sounds/freedesktop/stereo';
export const ASTERISK_DIRECTORY = '/usr/share/asterisk/sounds/en_US_f_Allison';
export const ASTERISK_FRENCH_DIRECTORY = '/usr/share/asterisk/sounds/fr_CA_f_June';
export const OXYGEN_DIRECTORY = '/usr/share/sounds';
export const MUSIC_ON_HOLD_DIRECTORY = '/usr/share/asterisk/moh';
export const YARU_DIRECTORY = '/usr/share/sounds/Yaru/stereo';
export const SOUND_ICONS_DIRECTORY = '/usr/share/sounds/sound-icons';
export const DEEPIN_DIRECTORY = '/usr/share/sounds/deepin/stereo';
/** gnome-audio puts its sounds straight in /usr/share/sounds (and two folders of it), beside other themes' folders. */
export const GNOME_AUDIO_DIRECTORY = '/usr/share/sounds';
export const PIDGIN_DIRECTORY = '/usr/share/sounds/purple';
export const ASTERISK_SPANISH_DIRECTORY = '/usr/share/asterisk/sounds/es_MX_f_Allison';
export const ASTERISK_ITALIAN_DIRECTORY = '/usr/share/asterisk/sounds/it_IT_m_Carlo';
/** Every ASTERISK_STRIDE-th prompt in path order: 70 of the 558 (silence/ left out). */
const ASTERISK_STRIDE = 8;

/** Debian packages the corpus and its alterations come from, with a binary to test for each. */
export const DEBIAN_PACKAGES: readonly DebianPackage[] = [
  { name: 'sound-theme-freedesktop', provides: FREEDESKTOP_DIRECTORY, corpora: ['a'] },
  { name: 'asterisk-core-sounds-en-wav', provides: ASTERISK_DIRECTORY, corpora: ['a', 'b', 'c'] },
  { name: 'oxygen-sounds', provides: `${OXYGEN_DIRECTORY}/Oxygen-Sys-Log-In.ogg`, corpora: ['b'] },
  { name: 'asterisk-core-sounds-fr-wav', provides: ASTERISK_FRENCH_DIRECTORY, corpora: ['b', 'c'] },
  { name: 'asterisk-moh-opsound-wav', provides: MUSIC_ON_HOLD_DIRECTORY },
  { name: 'yaru-theme-sound', provides: YARU_DIRECTORY, corpora: ['c'] },
  { name: 'sound-icons', provides: SOUND_ICONS_DIRECTORY, corpora: ['c'] },
  { name: 'espeak-ng', provides: '/usr/bin/espeak-ng' },
  { name: 'deepin-sound-theme', provides: DEEPIN_DIRECTORY, corpora: ['d'] },
  { name: 'gnome-audio', provides: `${GNOME_AUDIO_DIRECTORY}/startup3.wav`, corpora: ['d'] },
  { name: 'pidgin-data', provides: `${PIDGIN_DIRECTORY}/login.wav`, corpora: ['d'] },
  { name: 'asterisk-core-sounds-es-wav', provides: ASTERISK_SPANISH_DIRECTORY, corpora: ['d'] },
  { name: 'asterisk-core-sounds-it-wav', provides: ASTERISK_ITALIAN_DIRECTORY, corpora: ['d'] },
  { name: 'festival', provides: '/usr/bin/text2wave', corpora: ['d', 'e'] },
  { name: 'festvox-kallpc16k', provides: '/usr/share/festival/voices/english/kal_diphone', corpora: ['d'] },
  ...CORPUS_E_PACKAGES,
  { name: 'ffmpeg', provides: '/usr/bin/ffmpeg' },
];

export const CORPUS_NAMES: readonly CorpusName[] = ['a', 'b', 'c', 'd', 'e'];
/**
 * Corpora held back from every model so far: a run measures them only when named, never as
 * part of `all`, so a routine run cannot show figures on them before the one judgement, and
 * learn-robust-head.ts refuses to fit on them. E was one until it judged the fifth attempt;
 * a sixth needs a new one here.
 */
export const UNSEEN_CORPORA: readonly CorpusName[] = [];
const FESTIVAL_KAL: FestivalVoice = { id: 'kal', select: '(voice_kal_diphone)', category: 'speech: festival kal (en, 16 kHz)' };

const FREEDESKTOP_THEME: ThemeSpec = {
  source: 'freedesktop',
  category: 'sounds: freedesktop theme',
  directory: FREEDESKTOP_DIRECTORY,
  pattern: /\.(oga|ogg|wav)$/,
};
const OXYGEN_THEME: ThemeSpec = { source: 'oxygen', category: 'sounds: Oxygen theme', directory: OXYGEN_DIRECTORY, pattern: /^Oxygen-.*\.ogg$/ };
const YARU_THEME: ThemeSpec = { source: 'yaru', category: 'sounds: Yaru theme', directory: YARU_DIRECTORY, pattern: /\.(oga|ogg|wav)$/ };
/** speech-dispatcher's sound icons: instrument notes, animal and household sounds (the extensionless names are links to them). */
const SOUND_ICONS: ThemeSpec = { source: 'sound-icons', category: 'sounds: sound-icons', directory: SOUND_ICONS_DIRECTORY, pattern: /\.wav$/ };
const DEEPIN_THEME: ThemeSpec = { source: 'deepin', category: 'sounds: deepin theme', directory: DEEPIN_DIRECTORY, pattern: /\.wav$/ };
/** Lower-case names only: the top level of /usr/share/sounds also holds Oxygen's files and other themes' folders. */
const GNOME_AUDIO: ThemeSpec = {
  source: 'gnome-audio',
  category: 'sounds: gnome-audio',
  directory: GNOME_AUDIO_DIRECTORY,
  pattern: /^(?:gtk-events\/|panel\/)?[a-z0-9_]+\.wav$/,
  recursive: true,
};
const PIDGIN_SOUNDS: ThemeSpec = { source: 'pidgin', category: 'sounds: pidgin', directory: PIDGIN_DIRECTORY, pattern: /\.wav$/ };

/**
 * Five disjoint corpora of the same make-up. A is the bench's original 109 recordings, the
 * ones the default model's shape and weights were chosen on. B holds back different ones
 * (another desktop theme, other prompts of the same speaker, a second speaker, other
 * phrases and voices), to check that a change tuned on A holds elsewhere. C is a second
 * held-back set, for a candidate chosen after B had been seen once: two more sets of
 * sounds (the Yaru theme, speech-dispatcher's sound icons), prompts of both speakers that
 * neither A nor B uses, and other phrases and voices. D is a third held-back set, for the
 * fourth attempt's candidate (chosen on A, judged once on D), from packages none of A-C
 * uses: the deepin theme, gnome-audio and pidgin's sounds, Asterisk prompts of two more
 * speakers (Allison in Spanish, Carlo in Italian), espeak-ng with other phrases and voices,
 * and festival's kal diphone voice; any file byte-identical to one of A-C is left out. E is a
 * fourth held-back set, for the fifth attempt's candidate (chosen on A-D, judged once on E),
 * from packages none of A-D uses: three games' sound effects (Heroes, Frozen Bubble, Pingus)
 * and EiskaltDC++'s notification sounds, Asterisk prompts of a Russian and an Italian speaker
 * (IvrvoiceRU, Menardi), espeak-ng with other phrases and voices, and festival's HTS voice slt;
 * any file byte-identical to one of A-D is left out (corpus-specs-e.ts).
 */
export const CORPORA: Record<CorpusName, CorpusSpec> = {
  a: {
    themes: [FREEDESKTOP_THEME],
    asterisk: [{ directory: ASTERISK_DIRECTORY, source: 'asterisk', category: 'speech: Allison (en, 8 kHz)', stride: ASTERISK_STRIDE, offset: 0 }],
    phrases: [
      'The weather today is cloudy with a chance of rain in the afternoon.',
      'Please hold while we find your recording in the archive.',
      'One two three four five six seven eight nine ten.',
      'The quick brown fox jumps over the lazy dog.',
    ],
    voices: ['en', 'en-us+f3', 'en+m7'],
  },
  b: {
    themes: [OXYGEN_THEME],
    asterisk: [
      { directory: ASTERISK_DIRECTORY, source: 'asterisk', category: 'speech: Allison (en, 8 kHz)', stride: 2 * ASTERISK_STRIDE, offset: ASTERISK_STRIDE / 2 },
      { directory: ASTERISK_FRENCH_DIRECTORY, source: 'asterisk-fr', category: 'speech: June (fr, 8 kHz)', stride: 2 * ASTERISK_STRIDE, offset: 0 },
    ],
    phrases: [
      'Your call is important to us, please stay on the line.',
      'Yesterday the river rose above the old stone bridge.',
      'Seventeen, forty two, one hundred and six, nine thousand.',
      'She sells sea shells by the sea shore every summer morning.',
    ],
    voices: ['en-gb-scotland', 'en-us+f4', 'en+m3'],
  },
  c: {
    themes: [YARU_THEME, SOUND_ICONS],
    asterisk: [
      {
        directory: ASTERISK_DIRECTORY,
        source: 'asterisk',
        category: 'speech: Allison (en, 8 kHz)',
        stride: 2 * ASTERISK_STRIDE,
        offset: (3 * ASTERISK_STRIDE) / 2,
      },
      {
        directory: ASTERISK_FRENCH_DIRECTORY,
        source: 'asterisk-fr',
        category: 'speech: June (fr, 8 kHz)',
        stride: 2 * ASTERISK_STRIDE,
        offset: ASTERISK_STRIDE,
      },
    ],
    phrases: [
      'The library closes at six on Saturdays and stays shut on Sunday.',
      'Turn left at the second light, then follow the signs to the harbour.',
      'Twelve, eighty one, three hundred and forty, two million.',
      'A gentle breeze carried the smell of bread across the market square.',
    ],
    voices: ['en-gb-x-rp', 'en-029+f2', 'en-us-nyc+m5'],
  },
  d: {
    themes: [DEEPIN_THEME, GNOME_AUDIO, PIDGIN_SOUNDS],
    asterisk: [
      { directory: ASTERISK_SPANISH_DIRECTORY, source: 'asterisk-es', category: 'speech: Allison (es, 8 kHz)', stride: 15, offset: 0 },
      { directory: ASTERISK_ITALIAN_DIRECTORY, source: 'asterisk-it', category: 'speech: Carlo (it, 8 kHz)', stride: 17, offset: 0 },
    ],
    phrases: [
      'The night train to the coast leaves from platform nine at ten past eleven.',
      'Remember to water the tomatoes before the sun gets too hot.',
      'Fifty three, two hundred and eight, four thousand and one, sixty.',
      'An old fisherman mended his nets while the gulls circled overhead.',
    ],
    voices: ['en-gb-x-gbclan+f5', 'en-gb-x-gbcwmd+m2', 'en-us+m6'],
    festival: {
      voice: FESTIVAL_KAL,
      phrases: [
        'Good morning, this is the front desk calling about your booking.',
        'The meeting has moved to the third floor, room three hundred and twelve.',
        'Eight, fifteen, ninety nine, seven hundred and twenty.',
        'Snow is expected in the hills tonight, so please drive with care.',
        'Thank you for waiting, an operator will be with you shortly.',
        'Once upon a time, in a small village at the edge of a dark forest, there lived a baker who rose every morning ' +
          'before dawn to light his oven, knead the dough and shape the loaves, so that by the time the first customers ' +
          'knocked on his door the whole street smelled of warm bread.',
      ],
    },
    disjointFrom: ['a', 'b', 'c'],
  },
  e: CORPUS_E,
};
