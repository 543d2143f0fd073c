/**
 * Corpus E: a fourth held-back set, for the fifth attempt's candidate (fitted and chosen on
 * A-D, judged once on E). Its own file so corpus-specs.ts stays small.
 */
import type { CorpusSpec, DebianPackage, FestivalVoice, ThemeSpec } from './corpus-types.ts';

export const HEROES_DIRECTORY = '/usr/share/games/heroes/sfx';
export const FROZEN_BUBBLE_DIRECTORY = '/usr/share/games/frozen-bubble/snd';
export const PINGUS_DIRECTORY = '/usr/share/games/pingus/data/sounds';
export const EISKALTDCPP_DIRECTORY = '/usr/share/eiskaltdcpp/sounds';
export const ASTERISK_RUSSIAN_DIRECTORY = '/usr/share/asterisk/sounds/ru_RU_f_IvrvoiceRU';
export const ASTERISK_MENARDI_DIRECTORY = '/usr/share/asterisk/sounds/it_IT_f_Menardi';
const FESTIVAL_SLT_DIRECTORY = '/usr/share/festival/voices/us/cmu_us_slt_arctic_hts';

/**
 * Only packages that install WAV or Ogg: the GSM-only prompt sets (asterisk-prompt-es-co,
 * asterisk-prompt-fr-armelle) are raw GSM, a demuxer the decoder's whitelist refuses. festival
 * itself is in corpus-specs.ts's list, shared with D.
 */
export const CORPUS_E_PACKAGES: readonly DebianPackage[] = [
  { name: 'heroes-sound-effects', provides: HEROES_DIRECTORY, corpora: ['e'] },
  { name: 'frozen-bubble-data', provides: FROZEN_BUBBLE_DIRECTORY, corpora: ['e'] },
  { name: 'pingus-data', provides: PINGUS_DIRECTORY, corpora: ['e'] },
  { name: 'eiskaltdcpp-sounds', provides: EISKALTDCPP_DIRECTORY, corpora: ['e'] },
  { name: 'asterisk-core-sounds-ru-wav', provides: ASTERISK_RUSSIAN_DIRECTORY, corpora: ['e'] },
  { name: 'asterisk-prompt-it-menardi-wav', provides: ASTERISK_MENARDI_DIRECTORY, corpora: ['e'] },
  { name: 'festvox-us-slt-hts', provides: FESTIVAL_SLT_DIRECTORY, corpora: ['e'] },
];

/** The game Heroes' effects (0.16-6.9 s): every third of its 33, so no set outweighs the others. */
const HEROES_SOUNDS: ThemeSpec = { source: 'heroes', category: 'sounds: Heroes game', directory: HEROES_DIRECTORY, pattern: /\.wav$/, stride: 3 };
/** Frozen Bubble's effects (0.09-2.6 s); its three files named *zik* are 3-5 minute music tracks, not effects. */
const FROZEN_BUBBLE_SOUNDS: ThemeSpec = {
  source: 'frozen-bubble',
  category: 'sounds: Frozen Bubble game',
  directory: FROZEN_BUBBLE_DIRECTORY,
  pattern: /^(?!.*zik).*\.ogg$/,
};
const PINGUS_SOUNDS: ThemeSpec = { source: 'pingus', category: 'sounds: Pingus game', directory: PINGUS_DIRECTORY, pattern: /\.wav$/ };
/** A file-sharing client's notification sounds. */
const EISKALTDCPP_SOUNDS: ThemeSpec = { source: 'eiskaltdcpp', category: 'sounds: EiskaltDC++', directory: EISKALTDCPP_DIRECTORY, pattern: /\.wav$/ };

/** CMU's US English female speaker "slt" as an HTS (statistical) voice: festival, but not a diphone voice like D's kal. */
const FESTIVAL_SLT: FestivalVoice = { id: 'slt', select: '(voice_cmu_us_slt_arctic_hts)', category: 'speech: festival slt (en, 32 kHz)' };

export const CORPUS_E: CorpusSpec = {
  themes: [HEROES_SOUNDS, FROZEN_BUBBLE_SOUNDS, PINGUS_SOUNDS, EISKALTDCPP_SOUNDS],
  asterisk: [
    // 566 Russian prompts and 545 Italian ones (silence/ left out): 35 of each.
    { directory: ASTERISK_RUSSIAN_DIRECTORY, source: 'asterisk-ru', category: 'speech: IvrvoiceRU (ru, 8 kHz)', stride: 16, offset: 8 },
    { directory: ASTERISK_MENARDI_DIRECTORY, source: 'asterisk-it-menardi', category: 'speech: Menardi (it, 8 kHz)', stride: 16, offset: 0 },
  ],
  phrases: [
    'The parcel you ordered on Tuesday will arrive between noon and four.',
    'Bring a warm coat, the wind on the mountain pass is bitterly cold.',
    'Thirty eight, five hundred and seventy, twenty one thousand, four.',
    'A small grey cat slept in the window of the bookshop all afternoon.',
  ],
  voices: ['en-gb-scotland+f1', 'en-029+m1', 'en-us-nyc+m4'],
  festival: {
    voice: FESTIVAL_SLT,
    phrases: [
      'Your appointment with the dentist is confirmed for Thursday at half past nine.',
      'Platform four is closed today, please use the footbridge to platform six.',
      'Nineteen, sixty four, three hundred and three, eleven thousand.',
      'Heavy rain is forecast along the coast, with strong winds after midnight.',
      'Please leave your message after the tone, and we will call you back.',
      'Long ago, on an island far out in the northern sea, an old lighthouse keeper climbed the winding stairs ' +
        'every evening to light the great lamp, polish its lenses and watch the ships pass safely by the rocks, ' +
        'and in the morning he wrote down in a thick leather book every ship that he had seen.',
    ],
  },
  disjointFrom: ['a', 'b', 'c', 'd'],
};
