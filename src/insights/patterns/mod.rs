//! Log template mining: masking of variable parts and online grouping into patterns.

pub mod mask;
pub mod miner;
pub mod tree;

pub use mask::{Kind, mask};
pub use miner::{Config, Match, Miner, Pattern};
