//! Feed sources (`--source`): feeds a newsroom already has, fetched in the background and
//! served as JSON Feed items beside what is published through `/publish`.

pub mod map;
